"""The assignee's forms on their case's page: accept, decline with a reason, resolve with
text and photos, ask for more time. Each is read by its own schema (lianxin.http.reading)
before anything is shown or done.

Each is posted twice: first without `confirmed`, answered by a page that says what will
happen (and, for resolve, holds the photos already uploaded, by id); then with it, which
acts. Both posts carry the `form_key` made when the case's page was rendered: the console
sends it to cases as the Idempotency-Key, so a confirmation posted twice acts once.
"""

from __future__ import annotations

from marshmallow import fields, validate

from services.console.domain.my_cases import MAX_PHOTOS
from services.console.http.case_forms import ActionForm
from services.console.http.forms import _text


class AssigneeForm(ActionForm):
    confirmed = fields.Boolean(load_default=False)


class AcceptForm(AssigneeForm):
    note = _text(1000)


class DeclineForm(AssigneeForm):
    reason = _text(1000, required=True)


class ResolveForm(AssigneeForm):
    resolution = _text(2000, required=True)
    # the photos uploaded by the first post, as the confirmation carries them
    photos = fields.String(
        load_default="",
        validate=validate.Regexp(rf"^(ph_[A-Za-z0-9_-]{{16,64}}( |$)){{0,{MAX_PHOTOS}}}$"),
    )


class ExtensionRequestForm(AssigneeForm):
    until = fields.String(
        required=True, validate=validate.Regexp(r"^\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\s*$")
    )
    reason = _text(1000, required=True)


ASSIGNEE_FORMS: dict[str, type[AssigneeForm]] = {
    "accept": AcceptForm,
    "decline": DeclineForm,
    "resolve": ResolveForm,
    "extension": ExtensionRequestForm,
}
