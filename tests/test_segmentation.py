"""Text is split into lines and sentences and put back with every separator intact."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nllb.translation.segmentation import segment


def sentences(text, lang="eng_Latn"):
    return segment(text, lang).sentences


def test_sentences_are_split_with_pysbd_for_languages_it_knows():
    assert sentences("Dr. Smith went home. He slept.") == ["Dr. Smith went home.", "He slept."]


def test_lines_are_kept_exactly_blank_ones_included():
    seg = segment("One.\n\n  Two.\r\nThree.\u2028Four.", "eng_Latn")
    assert seg.sentences == ["One.", "Two.", "Three.", "Four."]
    assert list(seg.parts[0::2]) == ["", "\n\n  ", "\r\n", "\u2028", ""]


def test_whitespace_between_sentences_is_kept():
    assert list(segment("A b.   C d!\tE f?", "eng_Latn").parts) == ["", "A b.", "   ", "C d!", "\t", "E f?", ""]


def test_chinese_splits_on_full_width_punctuation_without_spaces():
    seg = segment("今天天气很好。我们去市场！好吗？", "zho_Hans")
    assert seg.sentences == ["今天天气很好。", "我们去市场！", "好吗？"]
    assert list(seg.parts[0::2]) == ["", "", "", ""]


def test_japanese_in_the_fallback_and_in_pysbd_agree_on_boundaries():
    assert sentences("今日は晴れです。明日は雨です。", "jpn_Jpan") == ["今日は晴れです。", "明日は雨です。"]


def test_languages_pysbd_lacks_use_the_unicode_fallback():
    assert sentences("Привіт. Як справи? Добре!", "ukr_Cyrl") == ["Привіт.", "Як справи?", "Добре!"]
    assert sentences("नमस्ते। आप कैसे हैं?", "npi_Deva") == ["नमस्ते।", "आप कैसे हैं?"]
    assert sentences("Selam! Nasılsın?", "tur_Latn") == ["Selam!", "Nasılsın?"]


def test_closing_quotes_stay_with_their_sentence():
    assert sentences("Il a dit « Oui. » Puis il est parti.", "ukr_Cyrl")[0].endswith("»")


def test_thai_splits_at_spaces():
    assert sentences("สวัสดีครับ วันนี้อากาศดี", "tha_Thai") == ["สวัสดีครับ", "วันนี้อากาศดี"]


@pytest.mark.parametrize("text", ["", " ", "\n", "\r\n\r\n", "\t \n "])
def test_text_without_words_has_no_sentences(text):
    seg = segment(text, "eng_Latn")
    assert seg.sentences == [] and seg.join([]) == text


def test_join_puts_translations_between_the_original_separators():
    seg = segment("  One. Two.\n\nThree.  ", "eng_Latn")
    assert seg.join(["Un.", "Deux.", "Trois."]) == "  Un. Deux.\n\nTrois.  "


def test_join_needs_one_translation_per_sentence():
    with pytest.raises(ValueError):
        segment("One. Two.", "eng_Latn").join(["Un."])


LANGS = ["eng_Latn", "fra_Latn", "zho_Hans", "jpn_Jpan", "ukr_Cyrl", "tha_Thai", "arb_Arab", "hin_Deva"]
TEXT = st.text(alphabet=st.sampled_from(list("ab .!?。？\n\r\t\u2028 «»\"'") + ["ы", "中", "ก", "ا"]), max_size=60)


@given(TEXT, st.sampled_from(LANGS))
def test_segmenting_and_joining_gives_back_the_text(text, lang):
    seg = segment(text, lang)
    assert seg.join(seg.sentences) == text
    assert all(s and s == s.strip() for s in seg.sentences)
