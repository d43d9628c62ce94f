"""Reading what a request carries: bad input is a 400 with field errors and never reaches
the store.

A JSON body, a query string and a form are read and validated by the route's schemas,
after the rules every input meets first: no key that could reach MongoDB as an operator
or path, no control character in any text, no nesting past MAX_DEPTH.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError

from lianxin.http.errors import BodyTooLarge, UnsupportedMediaType

CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_ID = re.compile(r"^[\x21-\x7e]{1,100}$")  # what the event envelope accepts


def correlation_id(request) -> str | None:
    """The caller's correlation id, refused here (400) rather than by every consumer later."""
    value = request.headers.get(CORRELATION_HEADER)
    if value is not None and not CORRELATION_ID.match(value):
        raise ValidationError({CORRELATION_HEADER: ["Use 1–100 printable ASCII characters."]})
    return value


def read_json(request, schema: Schema) -> Any:
    """Parse and validate a JSON body; raises ValidationError (400) for anything off."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.get_data(cache=True)
    limit = getattr(request, "max_content_length", None)
    if limit and len(raw) > limit:
        raise BodyTooLarge(f"Body over {limit} bytes.")
    if not raw:
        raise ValidationError({"_body": ["A JSON body is required."]})
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError({"_body": [f"Not valid JSON: {exc}"]}) from None
    except RecursionError:  # deeper than the parser goes: deeper than anything we take
        raise ValidationError({"_body": [TOO_DEEP]}) from None
    return _load_checked(data, schema)


def _load_checked(data: Any, schema: Schema) -> Any:
    """A parsed body through the rules every body meets before its schema: no key that
    could reach MongoDB as an operator or path, no refused character in any text."""
    problems = forbidden_keys(data)
    if problems:
        raise ValidationError({"_body": problems})
    refused = refused_text(data)
    if refused:
        raise ValidationError(refused)
    return schema.load(data)


def read_query(request, schema: Schema) -> Any:
    """Validate the query string's parameters, by the same rule for text as a body's."""
    parameters = request.args.to_dict()
    refused = refused_text(parameters)
    if refused:
        raise ValidationError(refused)
    return schema.load(parameters)


MAX_DEPTH = 32  # lists and objects within each other; no body of ours needs a tenth of it
TOO_DEEP = f"Nested deeper than {MAX_DEPTH} levels."
# Refused in any text we take in: control characters (Unicode Cc) but tab, LF and CR, lone
# surrogates, U+FFFE and U+FFFF. XML 1.0 cannot carry most of them, terminals and logs act
# on them, and no resident types them.
REFUSED_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
REFUSED_TEXT = "No control characters: only tab, line feed and carriage return."


@dataclass(frozen=True)
class BodyValue:
    """A value within a parsed body: its path (keys and list indexes), the path as text
    (`location.address`, `tags[1]`), and its key when it is an object's member."""

    path: tuple[Any, ...]
    where: str
    is_member: bool
    value: Any


def _values(data: Any) -> Iterator[BodyValue]:
    """Every value within a parsed body, in document order. Without recursion, and no
    deeper than MAX_DEPTH (a 400 beyond): how deep a body goes is the sender's choice."""
    stack = [BodyValue((), "", False, data)]
    while stack:
        entry = stack.pop()
        if entry.path:
            yield entry
        value, path, where = entry.value, entry.path, entry.where
        if isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            raise ValidationError({"_body": [TOO_DEEP]})
        if isinstance(value, dict):
            children = [
                BodyValue((*path, key), f"{where}.{key}" if where else str(key), True, item)
                for key, item in value.items()
            ]
        elif isinstance(value, list):
            children = [
                BodyValue((*path, index), f"{where}[{index}]", False, item)
                for index, item in enumerate(value)
            ]
        else:
            continue
        stack.extend(reversed(children))


def forbidden_keys(data: Any) -> list[str]:
    """Keys that could reach MongoDB as operators or paths (`$`-prefixed, dotted) or that
    hold a refused character, each named by its path."""
    return [
        f"Key not allowed: {entry.where!r}"
        for entry in _values(data)
        if entry.is_member and not _allowed_key(entry.path[-1])
    ]


def _allowed_key(key: Any) -> bool:
    return (
        isinstance(key, str)
        and not key.startswith("$")
        and "." not in key
        and not REFUSED_CHARACTER.search(key)
    )


def refused_text(data: Any) -> dict[Any, Any]:
    """Field errors, shaped as marshmallow's, for every text that holds a refused character."""
    errors: dict[Any, Any] = {}
    for entry in _values(data):
        if isinstance(entry.value, str) and REFUSED_CHARACTER.search(entry.value):
            *within, name = entry.path
            node = errors
            for part in within:
                node = node.setdefault(part, {})
            node[name] = [REFUSED_TEXT]
    return errors


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def read_form(request, schema: Schema) -> Any:
    """A body from an HTML form (form-encoded) or an app (JSON), validated alike; an empty
    body is an empty form. Raises ValidationError (400) or UnsupportedMediaType (415)."""
    if not request.get_data(cache=True):
        return schema.load({})
    if request.mimetype in FORM_TYPES:
        return _load_checked(request.form.to_dict(), schema)
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        return read_json(request, schema)
    raise UnsupportedMediaType("Send the body form-encoded or as application/json.")


UPLOAD_TYPE = "multipart/form-data"


def read_upload(request, schema: Schema, field: str) -> tuple[Any, list[bytes]]:
    """A multipart upload: its text fields validated by `schema` like any form, and the
    contents of the files sent under `field`, in order (none from a form that sent no
    file, which a client sends form-encoded). Raises ValidationError (400) or
    UnsupportedMediaType (415)."""
    if request.mimetype not in FORM_TYPES:
        raise UnsupportedMediaType(f"Send the files as {UPLOAD_TYPE}.")
    fields = _load_checked(request.form.to_dict(), schema)
    return fields, [upload.read() for upload in request.files.getlist(field)]
