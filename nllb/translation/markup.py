"""HTML and XML: the text of a document translated, every tag, attribute, comment and entity kept.

The document is parsed (lxml; for XML with entities, DTDs and the network off, so an entity bomb or an
external entity is refused, never expanded) and its text cut into *flows*: the running text of one
block — a paragraph, a cell, a list item —, through its inline elements (`<b>`, `<a>`, `<span>`,
`<br>`, `<x/>` placeholders …) and up to the next nested block. Each flow is translated as one text
(so NLLB sees whole sentences), and the translation is dealt back to the flow's text slots — the
`text` and `tail` of the elements it passed — in proportion to what each slot held in the source,
with every cut moved to the nearest word boundary. The elements themselves are never touched: the
output has the same elements, attributes and order as the input, each tag exactly once; only text
changes. Protected content — `<script>`, `<style>`, `<code>`, `<pre>`, `translate="no"`,
`class="notranslate"`, ignored tags, comments, processing instructions and CDATA — is not translated and
stays where it was in its flow.
"""

from __future__ import annotations

import dataclasses
import html

from lxml import etree
from lxml import html as lxml_html

from nllb.translation.errors import InvalidMarkup

# Elements that flow inside a sentence; every other HTML element is a block and splits flows.
INLINE_HTML = frozenset({
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em", "font",
    "i", "img", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
    "sup", "time", "tt", "u", "var", "wbr",
})
PROTECTED = frozenset({"script", "style", "code", "pre", "kbd", "samp", "var", "textarea", "noscript", "svg", "math"})
TRANSLATED_ATTRIBUTES = ("alt", "title", "placeholder")
_VOID = frozenset({"br", "img", "wbr", "hr", "input"})
_WRAPPER = "nllb-fragment"


@dataclasses.dataclass(frozen=True)
class MarkupOptions:
    kind: str  # "html" or "xml"
    ignore_tags: frozenset[str] = frozenset()  # never translated, as if protected
    splitting_tags: frozenset[str] = frozenset()  # blocks, whatever their kind
    non_splitting_tags: frozenset[str] = frozenset()  # inline, whatever their kind
    translate_attributes: bool = False  # alt, title, placeholder


@dataclasses.dataclass
class _Slot:
    element: etree._Element
    field: str  # "text" or "tail"
    after_gap: bool = False  # follows something with no text of its own here (<br>, <code>, a comment)

    @property
    def value(self) -> str:
        return getattr(self.element, self.field) or ""

    @value.setter
    def value(self, text: str) -> None:
        setattr(self.element, self.field, text or None)


class MarkupDocument:
    """One parsed document: the texts to translate, then the document with their translations."""

    def __init__(self, source: str, options: MarkupOptions):
        self.options = options
        self.root, self._document = _parse(source, options.kind)
        # CDATA is text to lxml; an element whose text came as CDATA is kept as it is.
        self._cdata = frozenset(
            element for element in self.root.iter() if isinstance(element.tag, str)
            and etree.tostring(element, encoding="unicode", with_tail=False).partition(">")[2].startswith("<![CDATA[")
        ) if options.kind == "xml" and "<![CDATA[" in source else frozenset()
        self._flows = [flow for flow in self._walk() if any(slot.value.strip() for slot in flow)]
        self._attributes = self._attribute_slots() if options.translate_attributes else []

    @property
    def texts(self) -> list[str]:
        return ["".join(_pieces(flow)) for flow in self._flows] + \
            [element.get(name) for element, name in self._attributes]

    def render(self, translations: list[str]) -> str:
        flows, attributes = translations[:len(self._flows)], translations[len(self._flows):]
        for flow, translation in zip(self._flows, flows):
            _deal(flow, translation)
        for (element, name), translation in zip(self._attributes, attributes):
            element.set(name, translation)
        return self._serialize()

    def _is_block(self, element: etree._Element) -> bool:
        tag = _name(element)
        if tag in self.options.splitting_tags:
            return True
        if tag in self.options.non_splitting_tags or self.options.kind == "xml":
            return False
        return tag not in INLINE_HTML

    def _is_protected(self, element: etree._Element) -> bool:
        if not isinstance(element.tag, str) or element in self._cdata:
            return True  # a comment, a processing instruction, an entity, CDATA
        tag = _name(element)
        if tag in self.options.ignore_tags or (self.options.kind == "html" and tag in PROTECTED):
            return True
        return element.get("translate") == "no" or "notranslate" in (element.get("class") or "").split()

    def _walk(self) -> list[list[_Slot]]:
        """The flows, without recursion (a document may nest thousands deep)."""
        flows: list[list[_Slot]] = []
        blocks = [self.root]
        while blocks:
            block = blocks.pop(0)
            flow = [_Slot(block, "text")]
            flows.append(flow)
            stack = [(block, iter(block))]
            while stack:
                owner, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    if owner is not block:
                        flow.append(_Slot(owner, "tail"))  # an inline element ends; its tail goes on
                elif self._is_protected(child):
                    flow.append(_Slot(child, "tail", after_gap=True))
                elif self._is_block(child):
                    blocks.append(child)
                    flow = [_Slot(child, "tail")]  # after a nested block, a new flow
                    flows.append(flow)
                elif _name(child) in _VOID:
                    flow.append(_Slot(child, "tail", after_gap=True))
                else:
                    flow.append(_Slot(child, "text"))
                    stack.append((child, iter(child)))
        return flows

    def _attribute_slots(self) -> list[tuple[etree._Element, str]]:
        return [(element, name) for element in self.root.iter() if isinstance(element.tag, str)
                for name in TRANSLATED_ATTRIBUTES if (element.get(name) or "").strip()]

    def _serialize(self) -> str:
        if self._document:
            doctype = self.root.getroottree().docinfo.doctype or None
            return lxml_html.tostring(self.root, encoding="unicode", doctype=doctype).replace("\xa0", "&nbsp;")
        if self.options.kind == "xml":
            inner = html.escape(self.root.text or "", quote=False)
            return inner + "".join(etree.tostring(child, encoding="unicode") for child in self.root)
        inner = html.escape(self.root.text or "", quote=False)
        inner += "".join(lxml_html.tostring(child, encoding="unicode") for child in self.root)
        return inner.replace("\xa0", "&nbsp;")  # as it most likely came


def _pieces(flow: list[_Slot]) -> list[str]:
    """Each slot's text as NLLB sees it: after a `<br>`, a `<code>` or a comment, a space if the words either
    side would touch."""
    pieces, last, gap = [], "", False
    for slot in flow:
        value = slot.value
        gap = gap or slot.after_gap
        if value:
            if gap and not value[0].isspace() and last and not last.isspace():
                value = " " + value
            gap, last = False, value[-1]
        pieces.append(value)
    return pieces


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _parse(source: str, kind: str) -> tuple[etree._Element, bool]:
    """The document's root, and whether it is a whole HTML document (or a fragment in a wrapper)."""
    try:
        if kind == "xml":
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                     remove_blank_text=False, strip_cdata=False)
            return etree.fromstring(f"<{_WRAPPER}>{source}</{_WRAPPER}>", parser), False
        head = source.lstrip()[:15].lower()
        if head.startswith("<!doctype") or head.startswith("<html"):
            return lxml_html.document_fromstring(source), True
        return lxml_html.fragment_fromstring(source, create_parent=_WRAPPER), False
    except (etree.XMLSyntaxError, etree.ParserError, ValueError) as exc:
        raise InvalidMarkup(f"not well-formed {kind.upper()}: {str(exc)[:200]}") from None


def _deal(flow: list[_Slot], translation: str) -> None:
    """Share the translation among the flow's slots in proportion to their source lengths, each cut
    moved to the nearest word boundary; a slot that held nothing gets nothing."""
    lengths = [len(piece) for piece in _pieces(flow)]
    total = sum(lengths)
    cuts, position = [0], 0
    for length in lengths[:-1]:
        position += length
        if position == 0:
            cut = 0
        elif position == total:
            cut = len(translation)
        else:
            cut = _near_boundary(translation, round(position / total * len(translation)))
        cuts.append(max(cuts[-1], cut))
    cuts.append(len(translation))
    for slot, start, end in zip(flow, cuts, cuts[1:]):
        slot.value = translation[start:end]


def _near_boundary(text: str, position: int, reach: int = 12) -> int:
    """The word boundary nearest to `position` within `reach` characters, or `position` itself (as within
    a run of Chinese or Japanese, which has none)."""
    for distance in range(reach + 1):
        for candidate in (position - distance, position + distance):
            if 0 < candidate < len(text) and not (text[candidate - 1].isalnum() and text[candidate].isalnum()):
                return candidate
    return position
