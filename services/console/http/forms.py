"""The console's forms, read by marshmallow as every other body is (lianxin.http.reading): an
unknown field, a control character or an over-long value is refused before anything acts.

Every form carries `csrf` (domain/csrf.py); it is checked by the page route, so a form
without it is refused with 403 whatever else it holds.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.console.domain.codes import CODE_DIGITS
from services.console.domain.labels import LANGUAGES


def _text(max_length: int, required: bool = False) -> fields.String:
    """Free text: a required one may not be empty, an optional one reads as ""."""
    return fields.String(
        required=required,
        validate=validate.Length(min=1 if required else 0, max=max_length),
        **({} if required else {"load_default": ""}),
    )


class Form(Schema):
    csrf = fields.String(load_default="", validate=validate.Length(max=100))


class PhoneForm(Form):
    phone = _text(30, required=True)


class CodeForm(PhoneForm):
    code = fields.String(
        required=True, validate=validate.Regexp(rf"^\s*\d{{{CODE_DIGITS}}}\s*$")
    )


class LanguageForm(Form):
    lang = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    # a path of the console's own: `//host` would send the browser to another site
    next = fields.String(
        load_default="/", validate=validate.Regexp(r"^/(?!/)[A-Za-z0-9/_\-.]*$")
    )


class SignOutForm(Form):
    pass
