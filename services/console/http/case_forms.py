"""The staff actions' forms on a case's page, one schema each (read as every other body
is, lianxin.http.reading): bad input is refused with the field's error before anything
acts.

Every form carries its CSRF token (checked by the page route) and a `form_key` made when
the page was rendered, one per form: the console sends it to cases as the action's
Idempotency-Key, so the same form posted twice acts once.
"""

from __future__ import annotations

from marshmallow import fields, validate

from services.console.http.forms import Form, _text

CODE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


class ActionForm(Form):
    form_key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{16,64}$"))


class TriageForm(ActionForm):
    category = fields.String(
        required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
    )
    priority = fields.String(
        load_default="", validate=validate.OneOf(["", "low", "normal", "high", "urgent"])
    )
    # `grid:<code>` or `area:<code>` from the place picker; empty leaves the case's place
    place = fields.String(load_default="", validate=validate.Regexp(rf"^((grid|area):{CODE})?$"))


class AssignForm(ActionForm):
    assignee = _text(120, required=True)  # `<person id>|<masked name>` from the on-duty list
    note = _text(1000)


class NoteForm(ActionForm):
    """verify, resume: a note may say why."""

    note = _text(1000)


class NoteTextForm(ActionForm):
    """A note for the timeline: the note is the point."""

    note = _text(1000, required=True)


class ReasonForm(ActionForm):
    """reject (退单), reopen, suspend, withdraw: each needs its reason."""

    reason = _text(1000, required=True)


class MergeForm(ActionForm):
    into = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"),
    )  # the open case's number or id


class ExtensionForm(ActionForm):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "refuse"]))
    note = _text(1000)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "triage": TriageForm,
    "assign": AssignForm,
    "verify": NoteForm,
    "extension": ExtensionForm,
    "suspend": ReasonForm,
    "resume": NoteForm,
    "merge": MergeForm,
    "reject": ReasonForm,
    "reopen": ReasonForm,
    "withdraw": ReasonForm,
    "note": NoteTextForm,
}
