"""Request bodies: read within limits, parse, and check before anything reaches the engine."""

from __future__ import annotations

import dataclasses
import re

import falcon
import ujson

from nllb.config import QUALITIES, Settings
from nllb.frontend.errors import APIError
from nllb.languages import Languages

# Control characters are removed from texts before anything else sees them:
# NUL, BEL, ESC and the like, C1 controls and DEL. Tab, the line breaks that
# segmentation keeps (\n, \r, \v, \f, \x1c-\x1e, \x85) stay.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


@dataclasses.dataclass(frozen=True)
class TranslateRequest:
    texts: list[str]
    as_list: bool
    source_lang: str
    target_lang: str
    quality: str


def read_json(req: falcon.Request, max_bytes: int) -> object:
    if req.content_type is None or req.content_type.split(";")[0].strip().lower() != falcon.MEDIA_JSON:
        raise APIError(415, "unsupported_media_type", "Send the body as application/json.")
    if req.content_length is not None and req.content_length > max_bytes:
        raise APIError(413, "payload_too_large", f"The body is over {max_bytes} bytes.", limit=max_bytes)
    # Falcon's bounded stream reads nothing without Content-Length; gunicorn's
    # own input ends where a chunked body ends.
    stream = req.bounded_stream if req.content_length is not None else req.stream
    raw = _read_at_most(stream, max_bytes + 1)
    if len(raw) > max_bytes:
        raise APIError(413, "payload_too_large", f"The body is over {max_bytes} bytes.", limit=max_bytes)
    try:
        return ujson.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise APIError(400, "invalid_utf8", "The body is not valid UTF-8.") from None
    except ValueError:
        raise APIError(400, "invalid_json", "The body is not valid JSON.") from None


def _read_at_most(stream, limit: int) -> bytes:
    """Chunked bodies arrive a piece per read; stop one byte past the limit."""
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def parse_translate(body: object, settings: Settings, languages: Languages) -> TranslateRequest:
    if not isinstance(body, dict):
        raise _invalid("body", "The body must be a JSON object.")
    text = body.get("text")
    if isinstance(text, str):
        texts, as_list = [text], False
    elif isinstance(text, list):
        texts, as_list = text, True
    elif "text" not in body:
        raise _invalid("text", "`text` is required: a string or a list of strings.")
    else:
        raise _invalid("text", "`text` must be a string or a list of strings.")
    if len(texts) > settings.max_texts:
        raise APIError(
            413, "too_many_texts", f"At most {settings.max_texts} texts per request; got {len(texts)}.",
            field="text", limit=settings.max_texts,
        )
    for i, item in enumerate(texts):
        field = f"text[{i}]" if as_list else "text"
        if not isinstance(item, str):
            raise _invalid(field, f"`{field}` must be a string.")
        if len(item) > settings.max_text_chars:
            raise APIError(
                413, "text_too_long", f"`{field}` has {len(item)} characters; the limit is {settings.max_text_chars}.",
                field=field, limit=settings.max_text_chars,
            )
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            raise APIError(400, "invalid_text", f"`{field}` contains a lone surrogate escape.", field=field) from None
    texts = [_CONTROL.sub("", item) for item in texts]
    quality = body.get("quality", settings.default_quality)
    if quality not in QUALITIES:
        raise _invalid("quality", f"`quality` must be one of {', '.join(QUALITIES)}.")
    return TranslateRequest(
        texts=texts,
        as_list=as_list,
        source_lang=_language(body, "source_lang", languages),
        target_lang=_language(body, "target_lang", languages),
        quality=quality,
    )


def _language(body: dict, field: str, languages: Languages) -> str:
    code = body.get(field)
    if code is None:
        raise _invalid(field, f"`{field}` is required: a FLORES-200 code such as eng_Latn.")
    if not isinstance(code, str):
        raise _invalid(field, f"`{field}` must be a string: a FLORES-200 code such as eng_Latn.")
    if code in languages:
        return code
    suggestion = languages.suggest(code)
    hint = f" Did you mean {suggestion}?" if suggestion else " GET /languages lists the codes."
    raise APIError(
        422, "unsupported_language", f"`{field}` {code[:32]!r} is not a language of this model.{hint}",
        field=field, **({"suggestion": suggestion} if suggestion else {}),
    )


def _invalid(field: str, message: str) -> APIError:
    return APIError(422, "validation_error", message, field=field)
