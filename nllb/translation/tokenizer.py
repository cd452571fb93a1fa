"""SentencePiece pieces ↔ model token ids, in NLLB's source and target layout.

Source: `[src_lang] + pieces + ["</s>"]`; the target language is the decoder
prefix, and the engine strips it from the output. This is the order of current
transformers' NllbTokenizer (non-legacy).
"""

from __future__ import annotations

import sentencepiece as spm

from nllb.modeldir import ModelDirectory

WORD_START = "▁"
# SentencePiece's batch calls start a thread per core on every call by
# default, which costs more than a request's whole text; workers parallelise
# across processes instead. Even on one thread a batch call costs ~0.1 ms
# more than a single one (measured: one 80-character sentence encodes in
# 15 µs alone, 110 µs as a batch of one), so a batch call pays off only from
# a few dozen sentences on.
_SP_THREADS = 1
_BATCH_FROM = 32


class Tokenizer:
    def __init__(self, model: ModelDirectory, max_input_tokens: int):
        self._sp = spm.SentencePieceProcessor(model_file=str(model.sentencepiece_path))
        vocabulary = model.vocabulary
        index = {token: i for i, token in enumerate(vocabulary)}
        self.token_ids = index
        self.end = index["</s>"]
        unknown = index["<unk>"]
        pieces = [self._sp.id_to_piece(i) for i in range(self._sp.get_piece_size())]
        # Plain lists, not numpy: a request's few dozen ids cost less as
        # Python ints than as small arrays, and the worker runs this after
        # sleeping through a device batch, when every line of code it touches
        # is cold (docs/PERFORMANCE.md, session 28).
        self._to_model = [index.get(p, unknown) for p in pieces]
        self._to_model[self._sp.unk_id()] = unknown
        # Only real pieces decode; language codes, specials and padding
        # tokens that a model may emit are dropped.
        self._to_piece = [-1] * len(vocabulary)
        for sp_id, piece in enumerate(pieces):
            if not self._sp.is_control(sp_id) and piece in index:
                self._to_piece[index[piece]] = sp_id
        self._starts_word = [p.startswith(WORD_START) for p in pieces]
        # Room for the language token and </s>.
        self.max_pieces = max_input_tokens - 2

    def encode(self, sentences: list[str], language: str) -> list[list[list[int]]]:
        """Each sentence as one or more source sequences, cut at token boundaries if too long."""
        language_id = self.token_ids[language]
        encoded = (self._sp.encode(sentences, num_threads=_SP_THREADS) if len(sentences) >= _BATCH_FROM
                   else [self._sp.encode(sentence) for sentence in sentences])
        to_model, size = self._to_model, self.max_pieces
        out = []
        for pieces in encoded:
            ids = [to_model[i] for i in pieces]
            out.append([[language_id, *ids[i: i + size], self.end] for i in range(0, len(ids), size)]
                       or [[language_id, self.end]])
        return out

    def joiners(self, sources: list[list[int]]) -> list[str]:
        """How to join the translations of a cut sentence: a space where a word starts."""
        return [" " if self._piece_starts_word(s) else "" for s in sources[1:]]

    def _piece_starts_word(self, source: list[int]) -> bool:
        if len(source) < 3:
            return False
        sp_id = self._to_piece[source[1]]
        return sp_id >= 0 and self._starts_word[sp_id]

    def decode(self, outputs: list[list[int]]) -> list[str]:
        to_piece = self._to_piece
        ids = [[p for p in map(to_piece.__getitem__, out) if p >= 0] for out in outputs]
        if len(ids) >= _BATCH_FROM:
            return self._sp.decode(ids, num_threads=_SP_THREADS)
        return [self._sp.decode(one) for one in ids]
