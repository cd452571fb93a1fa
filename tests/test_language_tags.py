"""BCP-47 / ISO 639 tags ↔ FLORES-200, as the compatibility protocols need them."""

import pytest

from nllb.languages import NLLB_LANGUAGE_CODES, Languages, LanguageTags

TAGS = LanguageTags(Languages(list(NLLB_LANGUAGE_CODES)))


def test_every_model_language_has_a_short_tag_that_maps_back_to_it():
    without = [code for code in NLLB_LANGUAGE_CODES if TAGS.tag(code) is None]
    assert without == []  # none lacks one today; a code without a tag would be listed here
    assert all(TAGS.flores(TAGS.tag(code)) == code for code in NLLB_LANGUAGE_CODES)
    assert len({TAGS.tag(code) for code in NLLB_LANGUAGE_CODES}) == len(NLLB_LANGUAGE_CODES)


@pytest.mark.parametrize("tag, code", [
    ("de", "deu_Latn"), ("EN-US", "eng_Latn"), ("en-GB", "eng_Latn"), ("pt-BR", "por_Latn"), ("PT-PT", "por_Latn"),
    ("es-419", "spa_Latn"), ("ar", "arb_Arab"), ("fa", "pes_Arab"), ("prs", "prs_Arab"), ("ms", "zsm_Latn"),
    ("sw", "swh_Latn"), ("no", "nob_Latn"), ("nb", "nob_Latn"), ("nn", "nno_Latn"), ("lv", "lvs_Latn"),
    ("mn", "khk_Cyrl"), ("ne", "npi_Deva"), ("uz", "uzn_Latn"), ("az", "azj_Latn"), ("zh", "zho_Hans"),
    ("ZH-HANS", "zho_Hans"), ("zh-TW", "zho_Hant"), ("zh-Hant", "zho_Hant"), ("yue", "yue_Hant"),
    ("iw", "heb_Hebr"), ("he", "heb_Hebr"), ("tl", "tgl_Latn"), ("fil", "tgl_Latn"), ("ks", "kas_Arab"),
    ("ks-Deva", "kas_Deva"), ("sr", "srp_Cyrl"), ("uk", "ukr_Cyrl"), ("eng_Latn", "eng_Latn"),
])
def test_tags_clients_send_mean_the_variety_nllb_has(tag, code):
    assert TAGS.flores(tag) == code


@pytest.mark.parametrize("tag", ["xx", "", "en-", "123", "zz-Latn", "x" * 300, "de-Cyrl-XX-!!", "<script>"])
def test_a_tag_that_means_nothing_the_model_knows_is_none_never_an_error(tag):
    assert TAGS.flores(tag) is None


def test_only_the_models_own_languages_are_offered():
    small = LanguageTags(Languages(["deu_Latn", "fra_Latn", "<unk>"]))
    assert small.flores("de") == "deu_Latn" and small.flores("es") is None and small.tag("spa_Latn") is None
