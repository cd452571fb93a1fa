"""NLLB's token layout: [src_lang] + pieces + [</s>], the target language as decoder prefix."""

import pytest

from nllb.modeldir import ModelDirectory, ModelDirectoryError
from nllb.translation.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def model(tiny_model):
    return ModelDirectory.open(tiny_model)


def tokens(model, ids):
    return [model.vocabulary[i] for i in ids]


def test_source_is_language_then_pieces_then_end(model):
    tokenizer = Tokenizer(model, max_input_tokens=256)
    [[source]] = tokenizer.encode(["Hello world."], "eng_Latn")
    out = tokens(model, source)
    assert out[0] == "eng_Latn" and out[-1] == "</s>"
    assert "".join(out[1:-1]).replace("▁", " ").strip() == "Hello world."


def test_over_long_sentences_are_cut_at_token_boundaries(model):
    tokenizer = Tokenizer(model, max_input_tokens=8)
    [chunks] = tokenizer.encode(["The library opens at nine in the morning and closes at six."], "eng_Latn")
    assert len(chunks) > 1
    assert all(len(c) <= 8 and tokens(model, c)[0] == "eng_Latn" and tokens(model, c)[-1] == "</s>" for c in chunks)
    pieces = [p for c in chunks for p in tokens(model, c)[1:-1]]
    assert "".join(pieces).replace("▁", " ").strip() == "The library opens at nine in the morning and closes at six."
    joined = tokenizer.decode([c[1:-1] for c in chunks])
    glue = tokenizer.joiners(chunks)
    assert joined[0] + "".join(j + p for j, p in zip(glue, joined[1:])) == "The library opens at nine in the morning and closes at six."


def test_decoding_drops_language_codes_and_special_tokens(model):
    tokenizer = Tokenizer(model, max_input_tokens=256)
    [[source]] = tokenizer.encode(["Hello"], "eng_Latn")
    noisy = [model.vocabulary.index("deu_Latn"), *source[1:-1], model.vocabulary.index("<pad>")]
    assert tokenizer.decode([noisy]) == ["Hello"]


def test_unknown_characters_become_unk(model):
    tokenizer = Tokenizer(model, max_input_tokens=256)
    [[source]] = tokenizer.encode(["☃"], "eng_Latn")
    assert "<unk>" in tokens(model, source)


def test_a_directory_that_is_not_an_nllb_model_is_refused_with_the_reason(tmp_path):
    with pytest.raises(ModelDirectoryError, match="no model.bin"):
        ModelDirectory.open(tmp_path)
    with pytest.raises(ModelDirectoryError, match="not a directory"):
        ModelDirectory.open(tmp_path / "missing")


def test_languages_come_from_the_vocabulary(model):
    assert len(model.languages) == 202
    assert "eng_Latn" in model.languages and "xx_Yyyy" not in model.languages


def test_a_long_list_encodes_and_decodes_as_each_sentence_alone(model):
    tokenizer = Tokenizer(model, max_input_tokens=256)
    words = ["market", "bread", "weather", "library", "morning", "evening", "train", "ticket"]
    sentences = [f"The {a} and the {b} are here, with a comma." for a in words for b in words[:5]]
    together = tokenizer.encode(sentences, "eng_Latn")
    alone = [tokenizer.encode([sentence], "eng_Latn")[0] for sentence in sentences]
    assert together == alone
    outputs = [chunks[0][1:-1] for chunks in together]
    assert tokenizer.decode(outputs) == [tokenizer.decode([output])[0] for output in outputs] == sentences
