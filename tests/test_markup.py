"""HTML and XML: only text changes — every element, attribute, placeholder and protected part comes back."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from nllb.translation import InvalidMarkup
from nllb.translation.markup import MarkupDocument, MarkupOptions

HTML, XML = MarkupOptions("html"), MarkupOptions("xml")

words = st.sampled_from(["Hello", "world", "the", "cat", "sat.", "Über", "5", "&amp;", "&lt;", "&#233;", "&nbsp;",
                         "日本語", "?"])
text = st.lists(words, max_size=4).map(" ".join)


def element(tag: str, children: list[str], attributes: str = "") -> str:
    return f"<{tag}{attributes}>{''.join(children)}</{tag}>"


inline = st.recursive(
    text,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["b", "i", "em", "span", "strong"]), st.lists(inner, max_size=3))
        .map(lambda t: element(*t)),
        st.tuples(st.just("a"), st.lists(inner, max_size=2)).map(lambda t: element(*t, ' href="https://x.org/?a=1&amp;b=2" title="Go there"')),
        st.just("<br>"),
        st.lists(text, min_size=1, max_size=2).map(lambda t: element("code", t)),
        st.just("<!-- note -->"),
    ),
    max_leaves=8,
)
html_documents = st.lists(
    st.tuples(st.sampled_from(["p", "div", "li", "td", "h2"]), st.lists(inline, max_size=4)).map(lambda t: element(*t)),
    min_size=1, max_size=4,
).map("\n".join)


def structure(document: str, kind: str) -> list:
    """Tags, attributes and comments in document order: everything but text."""
    if kind == "html":
        root = lxml_html.fragment_fromstring(document, create_parent="root")
    else:
        root = etree.fromstring(f"<root>{document}</root>")
    return [(str(el.tag), dict(el.attrib), el.text if not isinstance(el.tag, str) else None) for el in root.iter()]


def protected_texts(document: str) -> list[str]:
    root = lxml_html.fragment_fromstring(document, create_parent="root")
    return [etree.tostring(el, encoding="unicode", with_tail=False) for el in root.iter("code", "pre", "script")]


def reverse_words(texts: list[str]) -> list[str]:
    """A stand-in translation that changes every text's words and length."""
    return [" ".join(reversed(t.split())) + " ok" for t in texts]


@settings(max_examples=300, deadline=None)
@given(html_documents)
def test_html_comes_back_with_the_same_elements_attributes_and_order(document):
    markup = MarkupDocument(document, HTML)
    output = markup.render(reverse_words(markup.texts))
    assert structure(output, "html") == structure(document, "html")
    assert protected_texts(output) == protected_texts(document)


@settings(max_examples=300, deadline=None)
@given(html_documents)
def test_translated_as_is_html_comes_back_as_the_same_text_entities_and_all(document):
    markup = MarkupDocument(document, HTML)
    output = markup.render(markup.texts)
    before = lxml_html.fragment_fromstring(document, create_parent="root")
    after = lxml_html.fragment_fromstring(output, create_parent="root")
    # Every character back in its place; only whitespace may differ (a space after a <br>).
    assert "".join(after.text_content().split()) == "".join(before.text_content().split())


placeholders = st.lists(st.sampled_from(["Delete", "the", "files", "in", "folder", "now", "?"]), max_size=3).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(placeholders, st.just("PLACEHOLDER")), min_size=1, max_size=8))
def test_every_xml_placeholder_comes_back_exactly_once(parts):
    numbered, n = [], 0
    for part in parts:
        if part == "PLACEHOLDER":
            n += 1
            numbered.append(f'<x id="{n}"></x>' if n % 2 else f'<x id="{n}"/>')
        else:
            numbered.append(part)
    document = " ".join(numbered)
    markup = MarkupDocument(document, XML)
    output = markup.render(reverse_words(markup.texts))
    for i in range(1, n + 1):
        assert output.count(f'<x id="{i}"/>') == 1
    assert structure(output, "xml") == structure(document, "xml")


def test_a_mastodon_post_keeps_its_links_mentions_and_hashtags():
    post = ('<p>Hello <span class="h-card"><a href="https://m.social/@ana" class="u-url mention">@<span>ana</span>'
            '</a></span>, see <a href="https://x.org/a?b=1&amp;c=2" rel="nofollow noopener">x.org/a</a> '
            '<a href="https://m.social/tags/nllb" class="mention hashtag">#<span>nllb</span></a></p><p>Second one.</p>')
    markup = MarkupDocument(post, HTML)
    assert markup.texts == ["Hello @ana, see x.org/a #nllb", "Second one."]
    output = markup.render(["Bonjour @ana, voyez x.org/a #nllb", "Deuxième."])
    assert structure(output, "html") == structure(post, "html")
    assert "https://x.org/a?b=1&amp;c=2" in output and output.endswith("<p>Deuxième.</p>")


def test_a_weblate_string_with_placeholders():
    source = 'Delete <x id="1"></x> files from <x id="2"></x>?'
    markup = MarkupDocument(source, XML)
    assert markup.texts == ["Delete  files from ?"]
    output = markup.render(["Supprimer  fichiers de ?"])
    assert output.count('<x id="1"/>') == output.count('<x id="2"/>') == 1


def test_a_table_translates_cell_by_cell():
    table = "<table><tr><th>Name</th><th>Age</th></tr><tr><td>The <b>old</b> cat</td><td>12</td></tr></table>"
    markup = MarkupDocument(table, HTML)
    assert sorted(markup.texts) == ["12", "Age", "Name", "The old cat"]
    output = markup.render([t.upper() for t in markup.texts])
    assert output == table.replace("Name", "NAME").replace("Age", "AGE").replace("The <b>old</b> cat",
                                                                               "THE <b>OLD</b> CAT")


def test_nested_inline_tags_and_a_sentence_across_a_line_break():
    source = "<p>One <b>two <i>three</i> four</b> five<br>six seven.</p>"
    markup = MarkupDocument(source, HTML)
    assert markup.texts == ["One two three four five six seven."]  # one sentence, as NLLB needs it
    assert markup.render([t.upper() for t in markup.texts]) == (
        "<p>ONE <b>TWO <i>THREE</i> FOUR</b> FIVE<br> SIX SEVEN.</p>")


def test_protected_parts_are_not_translated():
    source = ('<p>Run <code>ls -la</code> now.</p><pre>keep  this</pre><p translate="no">Name</p>'
              '<p class="notranslate">Brand</p><script>var a = "x";</script><style>p {}</style><!-- c -->')
    markup = MarkupDocument(source, HTML)
    assert markup.texts == ["Run  now."]
    output = markup.render(["LANCEZ  MAINTENANT."])
    for kept in ("<code>ls -la</code>", "<pre>keep  this</pre>", '<p translate="no">Name</p>',
                 '<p class="notranslate">Brand</p>', '<script>var a = "x";</script>', "<style>p {}</style>",
                 "<!-- c -->"):
        assert output.count(kept) == 1
    assert "LANCEZ" in output and "MAINTENANT." in output and "Run" not in output


def test_cdata_in_xml_is_kept_as_it_is():
    source = "<msg>Hello <data><![CDATA[a < b & c]]></data> world</msg>"
    markup = MarkupDocument(source, XML)
    assert markup.texts == ["Hello  world"]
    assert "<data><![CDATA[a < b & c]]></data>" in markup.render(["BONJOUR  MONDE"])


def test_ignored_and_splitting_tags_as_deepl_sends_them():
    source = "<doc><keep>Do not touch</keep> Hello <sep/>World</doc>"
    markup = MarkupDocument(source, MarkupOptions("xml", ignore_tags=frozenset({"keep"}),
                                                  splitting_tags=frozenset({"sep"})))
    assert sorted(markup.texts) == [" Hello ", "World"]


def test_attributes_are_translated_only_when_asked():
    source = '<img src="a.png" alt="A cat" title="Cat"><input placeholder="Your name">'
    assert MarkupDocument(source, HTML).texts == []
    markup = MarkupDocument(source, MarkupOptions("html", translate_attributes=True))
    assert markup.texts == ["A cat", "Cat", "Your name"]
    assert 'alt="UN CHAT"' in markup.render(["UN CHAT", "CHAT", "VOTRE NOM"])


@pytest.mark.parametrize("document", [
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
    '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>',
    "<a>&undefined;</a>",
    "<a><b></a>",
    "<a>" * 10_000 + "x" + "</a>" * 10_000,
])
def test_xml_bombs_external_entities_and_broken_xml_are_refused_never_expanded(document):
    with pytest.raises(InvalidMarkup):
        MarkupDocument(document, XML)


@pytest.mark.parametrize("document", [
    "<p>Unclosed <b>bold", "a < b and c > d", "<!DOCTYPE html><html><body><p>Hi</p></body></html>",
    "<span>" * 10_000 + "deep" + "</span>" * 10_000, "<p>" + "x" * 5 + "</p>" * 3,
])
def test_html_that_browsers_would_read_is_read_without_a_crash(document):
    markup = MarkupDocument(document, HTML)
    assert markup.render([t.upper() for t in markup.texts])


def translate(server, text, markup: str):
    return server.post("/translate", {"text": text, "source_lang": "eng_Latn", "target_lang": "fra_Latn",
                                      "quality": "fast", "format": markup})


def test_through_the_server_html_and_xml_are_translated_keeping_every_tag(server):
    page = '<p>Hello <b>world</b>. <a href="/x">Read more</a></p><ul><li>One</li><li>Two</li></ul>'
    resp = translate(server, page, "html")
    assert resp.status == 200
    assert structure(resp.json["translation"], "html") == structure(page, "html")
    weblate = 'Delete <x id="1"></x> files from <x id="2"></x>?'
    out = translate(server, weblate, "xml").json["translation"]
    assert out.count('<x id="1"/>') == out.count('<x id="2"/>') == 1
    img = server.post("/translate", {"text": '<img alt="A cat">', "source_lang": "eng_Latn", "target_lang": "fra_Latn",
                                     "format": "html", "translate_attributes": True}).json["translation"]
    assert img.startswith("<img alt=") and 'alt="A cat"' not in img
    bad = translate(server, "<a><b></a>", "xml")
    assert bad.status == 400 and bad.json["error"] == "invalid_markup"
    assert translate(server, "<p>x</p>", "pdf").status == 422


def test_a_document_over_the_body_limit_is_413(server):
    from support import send_raw

    huge = json.dumps({"text": "<p>" + "word " * 2_200_000 + "</p>", "source_lang": "eng_Latn",
                       "target_lang": "fra_Latn", "format": "html"}).encode()
    head = (f"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {server.token}\r\nContent-Length: {len(huge)}\r\n\r\n").encode()
    assert send_raw(server.port, head, huge).status == 413


def test_a_document_without_source_lang_is_identified_as_a_whole(make_app_with, lid_model):
    app = make_app_with(LID_MODEL_PATH=str(lid_model))
    token = app.create_token()
    page = "<p>Die Kinder spielen im <b>Garten</b> hinter dem Haus.</p><p>Wo ist der Bahnhof?</p>"
    resp = app.translate(token, page, source=None, target="fra_Latn", format="html")
    assert resp.status_code == 200
    assert resp.json["detected_source_lang"] == "deu_Latn" and resp.json["translation"] == page  # the echo engine
    [job] = app.engine.jobs
    assert {app.model.vocabulary[int(source[0])] for source in job.sources} == {"deu_Latn"}
