"""A synthetic NLLB-200 model: real architecture and vocabulary layout, random weights.

Its translations are gibberish, but it exercises every code path of the
service, and at the real sizes it costs the same device time as a trained
model, which is what benchmarks need. No torch, no model hub: the weights are
written through CTranslate2's own model-spec API and the SentencePiece model is
trained on a small multilingual text shipped with the package.
"""

from __future__ import annotations

import dataclasses
import io
import math
from importlib import resources
from pathlib import Path

import numpy as np

from nllb.languages import NLLB_LANGUAGE_CODES
from nllb.modeldir import SENTENCEPIECE_NAMES, SYNTHETIC_MARKER

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]
SENTENCEPIECE_FILE = SENTENCEPIECE_NAMES[0]


@dataclasses.dataclass(frozen=True)
class ModelShape:
    d_model: int
    layers: int
    heads: int
    ffn: int
    # The real NLLB-200 vocabulary has 256,206 entries; the synthetic
    # SentencePiece model has far fewer, so the rest is padded the way
    # CTranslate2's converter pads NLLB ("madeupword" tokens).
    vocab_size: int | None
    max_positions: int = 1024


SHAPES = {
    "tiny": ModelShape(d_model=64, layers=2, heads=4, ffn=256, vocab_size=None),
    "600M": ModelShape(d_model=1024, layers=12, heads=16, ffn=4096, vocab_size=256206),
    "1.3B": ModelShape(d_model=1024, layers=24, heads=16, ffn=8192, vocab_size=256206),
    "3.3B": ModelShape(d_model=2048, layers=24, heads=16, ffn=8192, vocab_size=256206),
}


def train_sentencepiece(vocab_size: int = 2000) -> bytes:
    """Train a BPE SentencePiece model on the shipped multilingual corpus."""
    import sentencepiece as spm

    corpus = resources.files("nllb.data").joinpath("corpus.txt").read_text("utf-8")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus.splitlines()),
        model_writer=model,
        model_type="bpe",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def build_vocabulary(sp_model: bytes, vocab_size: int | None) -> list[str]:
    """fairseq's NLLB layout: 4 specials, the pieces, language codes, <mask>, padding."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    # SentencePiece's own <unk>, <s>, </s> (ids 0-2) are replaced by fairseq's four.
    pieces = [sp.id_to_piece(i) for i in range(3, sp.get_piece_size())]
    tokens = SPECIAL_TOKENS + pieces + list(NLLB_LANGUAGE_CODES) + ["<mask>"]
    if vocab_size is not None:
        tokens += [f"madeupword{i}" for i in range(vocab_size - len(tokens))]
    return tokens


def write_model(size: str, out_dir: str | Path, seed: int = 0) -> Path:
    """Write a CTranslate2 NLLB model with random weights of the given shape."""
    import ctranslate2

    shape = SHAPES[size]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sp_model = train_sentencepiece()
    vocabulary = build_vocabulary(sp_model, shape.vocab_size)

    spec = ctranslate2.specs.TransformerSpec.from_config(
        (shape.layers, shape.layers),
        shape.heads,
        pre_norm=True,
        activation=ctranslate2.specs.Activation.RELU,
        layernorm_embedding=False,
    )
    spec.config.bos_token = "<s>"
    spec.config.eos_token = "</s>"
    spec.config.unk_token = "<unk>"
    spec.config.decoder_start_token = "</s>"
    _RandomWeights(shape, len(vocabulary), seed).fill(spec)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.save(str(out))
    (out / SENTENCEPIECE_FILE).write_bytes(sp_model)
    (out / SYNTHETIC_MARKER).write_text(f"{size}\n", "utf-8")
    return out


class _RandomWeights:
    """Fills a TransformerSpec the way M2M100/NLLB's converter would, with noise."""

    def __init__(self, shape: ModelShape, vocab: int, seed: int):
        self.shape = shape
        self.vocab = vocab
        self.rng = np.random.default_rng(seed)
        # Large models are written in float16 so that 3.3B fits in host memory.
        self.dtype = np.float32 if shape.d_model <= 256 else np.float16

    def normal(self, *dims: int, std: float = 0.02) -> np.ndarray:
        return (self.rng.standard_normal(dims, dtype=np.float32) * std).astype(self.dtype)

    def linear(self, spec, out_dim: int, in_dim: int) -> None:
        spec.weight = self.normal(out_dim, in_dim, std=1 / math.sqrt(in_dim))
        spec.bias = np.zeros(out_dim, dtype=self.dtype)

    def layer_norm(self, spec) -> None:
        d = self.shape.d_model
        spec.gamma = np.ones(d, dtype=self.dtype)
        spec.beta = np.zeros(d, dtype=self.dtype)

    def fill(self, spec) -> None:
        d, ffn = self.shape.d_model, self.shape.ffn
        embeddings = self.normal(self.vocab, d, std=1 / math.sqrt(d))
        positions = self.sinusoids().astype(self.dtype)
        for stack in (spec.encoder, spec.decoder):
            stack.scale_embeddings = math.sqrt(d)
            (stack.embeddings[0] if isinstance(stack.embeddings, list) else stack.embeddings).weight = embeddings
            stack.position_encodings.encodings = positions
            self.layer_norm(stack.layer_norm)
            for layer in stack.layer:
                self.linear(layer.self_attention.linear[0], 3 * d, d)
                self.linear(layer.self_attention.linear[1], d, d)
                self.layer_norm(layer.self_attention.layer_norm)
                if hasattr(layer, "attention"):
                    self.linear(layer.attention.linear[0], d, d)
                    self.linear(layer.attention.linear[1], 2 * d, d)
                    self.linear(layer.attention.linear[2], d, d)
                    self.layer_norm(layer.attention.layer_norm)
                self.linear(layer.ffn.linear_0, ffn, d)
                self.linear(layer.ffn.linear_1, d, ffn)
                self.layer_norm(layer.ffn.layer_norm)
        # NLLB ties the output projection to the embeddings; with random
        # weights a tied model only repeats its last token, so this one is
        # drawn apart to make the output depend on the input.
        self.linear(spec.decoder.projection, self.vocab, d)

    def sinusoids(self) -> np.ndarray:
        """fairseq's sinusoidal positions, starting after the padding offset."""
        half = self.shape.d_model // 2
        scale = math.log(10000) / (half - 1)
        frequencies = np.exp(np.arange(half, dtype=np.float32) * -scale)
        positions = np.arange(2, self.shape.max_positions + 2, dtype=np.float32)
        angles = positions[:, None] * frequencies[None, :]
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def write_lid_model(path: Path, dim: int = 16, bucket: int = 20_000, seed: int = 0) -> Path:
    """A small fastText language-identification model trained on the package's labelled sentences
    (nllb/data/lid_sentences.tsv: eight languages, in four scripts), in the format of NLLB's own,
    GlotLID and OpenLID (`__label__eng_Latn`), so it loads through the same code. It knows little:
    it is for tests and for trying `source_lang: "auto"` without downloading 1–2 GB; `bucket` and
    `dim` give it a real model's size, for measuring memory."""
    import fasttext

    rows = resources.files("nllb.data").joinpath("lid_sentences.tsv").read_text("utf-8").splitlines()
    labelled = [row.split("\t") for row in rows if row and not row.startswith("#")]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    training = path.with_suffix(".train.txt")
    # Lower case and upper case both, so that neither decides the language.
    training.write_text("".join(f"__label__{code} {text}\n__label__{code} {text.lower()}\n"
                                for code, text in labelled), "utf-8")
    try:
        # fastText's training is not deterministic on data this small (its progress check races the
        # training thread): a run now and then ends in a NaN or a model that has not learnt. Keep the
        # first that tells its own sentences apart.
        for attempt in range(10):
            try:
                model = fasttext.train_supervised(str(training), dim=dim, bucket=bucket, minn=1, maxn=4, epoch=40,
                                                  lr=0.5, loss="softmax", thread=1, seed=seed + attempt, verbose=0)
            except RuntimeError as exc:
                if "NaN" not in str(exc):
                    raise
                continue
            right = sum(model.predict(text)[0][0] == f"__label__{code}" for code, text in labelled)
            if right >= 0.98 * len(labelled):
                break
        else:
            raise RuntimeError("fastText did not learn the package's sentences in 10 attempts")
    finally:
        training.unlink()
    model.save_model(str(path))
    return path
