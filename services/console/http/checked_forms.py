"""Reading a rota or hours form so that a refusal can show the page again with the field's
error: the session and CSRF token are checked whether or not the form is valid, before
anything is shown or done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Request

from lianxin.http.reading import read_form
from services.console.apis import ApiError
from services.console.domain.sessions import Session
from services.console.domain.staff import STAFF_ROLES
from services.console.http.pages import Pages


def read_checked(
    pages: Pages, request: Request, schema: Schema, roles: frozenset[str] = STAFF_ROLES
) -> tuple[Session, dict[str, Any], Mapping[str, Any]]:
    """The session (of one of `roles`, as Pages.signed_in), and the form as its schema
    reads it or else the schema's field errors. The body is read (and kept) by read_form
    first: the form as sent is parsed from that copy to find the CSRF token of a form the
    schema refused."""
    try:
        body = read_form(request, schema)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        return pages.signed_in(request, request.form, roles), {}, messages
    return pages.signed_in(request, body, roles), body, {}


def field_errors(refused: ApiError) -> Mapping[str, Any]:
    """The fields roster's 400 names, for the form to show; any other refusal (403, 404,
    409, a 400 naming no field) goes on to the error page as roster answered."""
    if refused.status != 400 or not refused.fields:
        raise refused
    return refused.fields
