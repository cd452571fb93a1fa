"""SentencePiece pieces ↔ model token ids, in NLLB's source and target layout.

Source: `[src_lang] + pieces + ["</s>"]`; the target language is the decoder
prefix, and the engine strips it from the output. This is the order of current
transformers' NllbTokenizer (non-legacy).
"""

from __future__ import annotations

import numpy as np
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
        self._to_model = np.array([index.get(p, unknown) for p in pieces], dtype=np.int32)
        self._to_model[self._sp.unk_id()] = unknown
        # Only real pieces decode; language codes, specials and padding
        # tokens that a model may emit are dropped.
        self._to_piece = np.full(len(vocabulary), -1, dtype=np.int32)
        for sp_id, piece in enumerate(pieces):
            if not self._sp.is_control(sp_id) and piece in index:
                self._to_piece[index[piece]] = sp_id
        self._starts_word = np.array([p.startswith(WORD_START) for p in pieces], dtype=bool)
        # Room for the language token and </s>.
        self.max_pieces = max_input_tokens - 2

    def encode(self, sentences: list[str], language: str) -> list[list[np.ndarray]]:
        """Each sentence as one or more source sequences, cut at token boundaries if too long."""
        language_id = self.token_ids[language]
        encoded = (self._sp.encode(sentences, num_threads=_SP_THREADS) if len(sentences) >= _BATCH_FROM
                   else [self._sp.encode(sentence) for sentence in sentences])
        out = []
        for ids in encoded:
            chunks = [ids[i: i + self.max_pieces] for i in range(0, len(ids), self.max_pieces)] or [[]]
            out.append([
                np.concatenate(([language_id], self._to_model[np.asarray(chunk, dtype=np.int32)], [self.end])).astype(np.int32)
                for chunk in chunks
            ])
        return out

    def joiners(self, sources: list[np.ndarray]) -> list[str]:
        """How to join the translations of a cut sentence: a space where a word starts."""
        return [" " if self._piece_starts_word(s) else "" for s in sources[1:]]

    def _piece_starts_word(self, source: np.ndarray) -> bool:
        if len(source) < 3:
            return False
        sp_id = self._to_piece[source[1]]
        return bool(sp_id >= 0 and self._starts_word[sp_id])

    def decode(self, outputs: list[np.ndarray]) -> list[str]:
        pieces = [self._to_piece[out] for out in outputs]
        ids = [p[p >= 0].tolist() for p in pieces]
        if len(ids) >= _BATCH_FROM:
            return self._sp.decode(ids, num_threads=_SP_THREADS)
        return [self._sp.decode(one) for one in ids]
