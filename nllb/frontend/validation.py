"""Request bodies: read within limits, parse, and check before anything reaches the engine."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import falcon
import fastjsonschema
import jsonschema
import ujson

from nllb.config import QUALITIES, Settings
from nllb.frontend.errors import APIError
from nllb.languages import Languages

# Control characters are removed from texts before anything else sees them:
# NUL, BEL, ESC and the like, C1 controls and DEL. Tab, the line breaks that
# segmentation keeps (\n, \r, \v, \f, \x1c-\x1e, \x85) stay.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


@dataclasses.dataclass(frozen=True)
class TranslateBody:
    """A /translate body that passed every check; `source_lang` None: to be identified."""

    texts: list[str]
    as_list: bool
    source_lang: str | None
    target_lang: str
    quality: str
    format: str = "text"  # or html, xml
    translate_attributes: bool = False


@dataclasses.dataclass(frozen=True)
class DetectBody:
    texts: list[str]
    as_list: bool
    top: int


def read_json(req: falcon.Request, max_bytes: int) -> object:
    if req.content_type is None or req.content_type.split(";")[0].strip().lower() != falcon.MEDIA_JSON:
        raise APIError(415, "unsupported_media_type", "Send the body as application/json.")
    raw = read_body(req, max_bytes)
    try:
        return ujson.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise APIError(400, "invalid_utf8", "The body is not valid UTF-8.") from None
    except ValueError:
        raise APIError(400, "invalid_json", "The body is not valid JSON.") from None


def read_body(req: falcon.Request, max_bytes: int) -> bytes:
    """The raw body, or 413 once it is over `max_bytes`."""
    if req.content_length is not None and req.content_length > max_bytes:
        raise APIError(413, "payload_too_large", f"The body is over {max_bytes} bytes.", limit=max_bytes)
    # Falcon's bounded stream reads nothing without Content-Length; gunicorn's
    # own input ends where a chunked body ends.
    stream = req.bounded_stream if req.content_length is not None else req.stream
    raw = _read_at_most(stream, max_bytes + 1)
    if len(raw) > max_bytes:
        raise APIError(413, "payload_too_large", f"The body is over {max_bytes} bytes.", limit=max_bytes)
    return raw


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


class RequestSchema:
    """One request schema of the published OpenAPI document, compiled once.

    fastjsonschema compiles it to Python code, so a valid body costs a few
    microseconds; only a body it rejects goes through jsonschema, whose errors
    name the offending field, also inside `oneOf`.
    """

    def __init__(self, spec: dict, name: str):
        root = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        formats: dict[str, Callable[[str], bool]] = {}
        self._accepts = fastjsonschema.compile(_enums_as_sets(root, formats), formats=formats)
        self._explains = jsonschema.Draft202012Validator(root)

    def first_error(self, body: object) -> jsonschema.ValidationError | None:
        try:
            self._accepts(body)
            return None
        except fastjsonschema.JsonSchemaValueException:
            return jsonschema.exceptions.best_match(self._explains.iter_errors(body))

    def check(self, body: object, codes: dict[str, str] | None = None) -> None:
        """Refuse a body the schema rejects with 422, naming the field; `codes` gives some fields their own code."""
        error = self.first_error(body)
        if error is None:
            return
        field = field_name(error)
        code = (codes or {}).get(field, "validation_error")
        raise APIError(422, code, f"`{field}`: {error.message[:200]}", field=field)


# fastjsonschema compiles an enum to one comparison per value: with the 202
# language codes that was ~45 µs a field, two fields a request. Large string
# enums become a format checked by set membership in the compiled validator;
# the published schema and the explaining validator keep the enum.
_SET_FROM = 16


def _enums_as_sets(schema: object, formats: dict[str, Callable[[str], bool]]) -> object:
    """A copy of `schema` whose large string enums are checked by a custom format of `formats`."""
    if isinstance(schema, list):
        return [_enums_as_sets(item, formats) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copy = {key: _enums_as_sets(value, formats) for key, value in schema.items()}
    values = schema.get("enum")
    if isinstance(values, list) and len(values) >= _SET_FROM and all(isinstance(v, str) for v in values):
        name = f"one-of-{len(formats)}"
        formats[name] = frozenset(values).__contains__
        del copy["enum"]
        copy.update(type="string", format=name)
    return copy


def field_name(error: jsonschema.ValidationError) -> str:
    """Where in the body the error is, as a client would write it: `rate_limit.requests`, `text[3]`, `body`."""
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        path.append(next(name for name in error.validator_value if name not in error.instance))
    field = ""
    for part in path:
        field += f"[{part}]" if isinstance(part, int) else f".{part}" if field else str(part)
    return field or "body"


def parse_translate(body: object, schema: RequestSchema, settings: Settings, languages: Languages) -> TranslateBody:
    """Check a /translate body against the published schema, then what a schema cannot say."""
    _check_shape(body, settings)
    error = schema.first_error(body)
    if error is not None:
        raise _schema_error(error, body, settings, languages)
    texts, as_list = _texts(body)
    source_lang = body.get("source_lang", "auto")
    return TranslateBody(
        texts=texts,
        as_list=as_list,
        source_lang=None if source_lang == "auto" else source_lang,
        target_lang=body["target_lang"],
        quality=body.get("quality", settings.default_quality),
        format=body.get("format", "text"),
        translate_attributes=body.get("translate_attributes", False),
    )


def parse_detect(body: object, schema: RequestSchema, settings: Settings) -> DetectBody:
    _check_shape(body, settings)
    schema.check(body)
    texts, as_list = _texts(body)
    return DetectBody(texts, as_list, body.get("top", 3))


def _texts(body: dict) -> tuple[list[str], bool]:
    """The body's texts, control characters removed, and whether they came as a list."""
    as_list = isinstance(body["text"], list)
    texts = body["text"] if as_list else [body["text"]]
    for i, item in enumerate(texts):
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            field = f"text[{i}]" if as_list else "text"
            raise APIError(400, "invalid_text", f"`{field}` contains a lone surrogate escape.", field=field) from None
    return [_CONTROL.sub("", item) for item in texts], as_list


def _check_shape(body: object, settings: Settings) -> None:
    """The body's shape, before any schema work: what the schema then checks is small and flat.

    A schema validator explaining why a million-item list or a value nested a
    thousand levels deep is wrong costs seconds of CPU, gigabytes and, deep
    enough, a RecursionError. These checks cost one pass over at most
    MAX_TEXTS items and refuse anything else at its first wrong level.
    """
    if not isinstance(body, dict):
        raise _invalid("body", "The body must be a JSON object.")
    text = body.get("text")
    if isinstance(text, list):
        if len(text) > settings.max_texts:
            raise APIError(413, "too_many_texts", f"At most {settings.max_texts} texts per request; got {len(text)}.",
                           field="text", limit=settings.max_texts)
        for i, item in enumerate(text):
            if not isinstance(item, str):
                raise _invalid(f"text[{i}]", f"`text[{i}]` must be a string.")
    elif text is not None and not isinstance(text, str):
        raise _invalid("text", "`text` must be a string or a list of strings.")
    for name in ("source_lang", "target_lang"):
        if name in body and not isinstance(body[name], str):
            raise _invalid(name, f"`{name}` must be a string: a FLORES-200 code such as eng_Latn.")
    if "quality" in body and not isinstance(body["quality"], str):
        raise _invalid("quality", f"`quality` must be one of {', '.join(QUALITIES)}.")


def _schema_error(error: jsonschema.ValidationError, body: dict, settings: Settings,
                  languages: Languages) -> APIError:
    """The schema's verdict on a well-shaped body as the client's error: the field, a stable code, what to do."""
    path = list(error.absolute_path)
    if not path and error.validator == "required":
        missing = next(name for name in ("text", "target_lang") if name not in body)
        what = "a string or a list of strings" if missing == "text" else "a FLORES-200 code such as eng_Latn"
        return _invalid(missing, f"`{missing}` is required: {what}.")
    name = path[0] if path else "body"
    field = name + "".join(f"[{p}]" for p in path[1:] if isinstance(p, int))
    value = error.instance
    if name == "text" and error.validator == "maxLength":
        return APIError(413, "text_too_long",
                        f"`{field}` has {len(value)} characters; the limit is {settings.max_text_chars}.",
                        field=field, limit=settings.max_text_chars)
    if name in ("source_lang", "target_lang"):
        suggestion = languages.suggest(value)
        hint = f" Did you mean {suggestion}?" if suggestion else " GET /languages lists the codes."
        return APIError(422, "unsupported_language", f"`{name}` {value[:32]!r} is not a language of this model.{hint}",
                        field=name, **({"suggestion": suggestion} if suggestion else {}))
    if name == "quality":
        return _invalid("quality", f"`quality` must be one of {', '.join(QUALITIES)}.")
    return _invalid(field, error.message[:200])


def _invalid(field: str, message: str) -> APIError:
    return APIError(422, "validation_error", message, field=field)
