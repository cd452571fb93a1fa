"""`nllb bench-markup`: documents per second for a 2 KB HTML page against plain text of the same words,
through the running service (uncached, so every document reaches the engine), and what parsing and
rendering cost on their own."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from lxml import html as lxml_html

from nllb.tools.bench import drive
from nllb.tools.harness import Service
from nllb.translation.markup import MarkupDocument, MarkupOptions

_PARAGRAPHS = [
    "The library opens at nine in the morning and closes at six in the evening.",
    "Please send me the <b>report</b> before Friday afternoon, with the <a href=\"/figures\">figures</a>.",
    "The children are playing in the garden behind the house, near the <em>old</em> river.",
    "We usually have dinner with our neighbours on Sunday.<br>Everyone brings something to share.",
    "How much does a ticket to the city centre cost? The next <span class=\"x\">train</span> leaves soon.",
]


def page() -> str:
    """A 2 KB page: paragraphs, a list and a table, inline links and emphasis."""
    parts = ["<h1>Weekly news</h1>"]
    for i, paragraph in enumerate(_PARAGRAPHS * 4):
        parts.append(f'<p id="p{i}">{paragraph}</p>')
    parts.append("<ul><li>Opening hours</li><li>Tickets and <b>prices</b></li></ul>")
    parts.append("<table><tr><td>Monday</td><td>Closed</td></tr></table>")
    return "\n".join(parts)


def run(model_path: Path, concurrency: int, duration: float, env: dict[str, str]) -> dict:
    document = page()
    # The same words, a line per block.
    plain = "\n".join(block.text_content() for block in lxml_html.fragment_fromstring(document, create_parent="div"))
    result = {"page_bytes": len(document.encode()), "plain_bytes": len(plain.encode()), "concurrency": concurrency,
              "parse_and_render_ms": _parse_and_render_ms(document)}
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(model_path, Path(tmp) / "service.log", env)
        try:
            service.start()
            for name, text, markup in (("plain", plain, "text"), ("html", document, "html")):
                body = json.dumps({"text": text, "source_lang": "eng_Latn", "target_lang": "fra_Latn",
                                   "quality": "fast", "format": markup}).encode()
                result[name] = drive(service.port, concurrency, duration, 1, [body], service.headers)
                result[name].pop("client_cpu_seconds")
        finally:
            service.stop()
    result["html_to_plain"] = result["html"]["requests_per_s"] / result["plain"]["requests_per_s"]
    return result


def _parse_and_render_ms(document: str, rounds: int = 200) -> float:
    options = MarkupOptions("html")
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        markup = MarkupDocument(document, options)
        markup.render(markup.texts)
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 3)


def report(result: dict) -> str:
    return "\n".join([
        f"page {result['page_bytes']} bytes of HTML ({result['plain_bytes']} bytes of text), "
        f"{result['concurrency']} in flight",
        f"plain text: {result['plain']['requests_per_s']:.1f} documents/s, p50 {result['plain']['latency_ms']['p50']:.0f} ms",
        f"html:       {result['html']['requests_per_s']:.1f} documents/s, p50 {result['html']['latency_ms']['p50']:.0f} ms",
        f"html / plain: {result['html_to_plain']:.2f}; parsing and rendering alone: "
        f"{result['parse_and_render_ms']} ms per page",
    ])
