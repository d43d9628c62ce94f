"""The mediation desk's forms on a dispute's desk page, one schema each (read as every
other body is, lianxin.http.reading): bad input is refused with the field's error before
anything acts.

Each is posted twice: first without `confirmed`, answered by a page that says what will
be recorded; then with it, which acts. Both carry the `form_key` made when the desk page
was rendered, sent to cases as the Idempotency-Key: a confirmation posted twice acts once.
"""

from __future__ import annotations

from marshmallow import fields, validate

from services.console.http.case_forms import ActionForm
from services.console.http.forms import _text

INSTANT = validate.Regexp(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PERSON = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$")
OPTIONAL_PERSON = validate.Regexp(r"^([a-z0-9][a-z0-9_-]{0,63})?$")
LENGTHS = (30, 60, 90, 120)
MAX_PARTIES = 10  # as cases records them


class DeskForm(ActionForm):
    confirmed = fields.Boolean(load_default=False)


class AppointmentForm(DeskForm):
    starts_at = fields.String(required=True, validate=INSTANT)  # one of the times offered
    minutes = fields.Integer(load_default=60, validate=validate.OneOf(LENGTHS))
    venue = _text(200)


class PartyForm(DeskForm):
    name = _text(50, required=True)
    role = fields.String(
        required=True, validate=validate.OneOf(("applicant", "respondent", "other"))
    )
    phone = fields.String(load_default="", validate=validate.Regexp(r"^(\d{7,15})?$"))
    consent = fields.Boolean(load_default=False)  # cases refuses a party without it


class SessionFields(DeskForm):
    held_at = fields.String(required=True, validate=INSTANT)  # one of the sessions held
    minutes = fields.Integer(load_default=60, validate=validate.OneOf(LENGTHS))
    mediator = fields.String(required=True, validate=PERSON)
    co_mediator = fields.String(load_default="", validate=OPTIONAL_PERSON)
    note = _text(500)


# the parties present: one check box each, `party_1` for P1 (a form sends one value a name)
SessionForm = type(
    "SessionForm",
    (SessionFields,),
    {f"party_{n}": fields.Boolean(load_default=False) for n in range(1, MAX_PARTIES + 1)},
)


class OutcomeForm(DeskForm):
    result = fields.String(required=True, validate=validate.OneOf(("agreement", "referral")))
    agreement = _text(2000)
    signed_by = _text(500)  # names, separated by commas or 、
    referred_to = fields.String(
        load_default="", validate=validate.OneOf(("", "peoples_mediation", "court", "department"))
    )
    department = _text(100)


class FollowUpForm(DeskForm):
    note = _text(2000, required=True)
    happened_on = fields.String(  # the day the visit was made or the answer came (today)
        load_default="", validate=validate.Regexp(r"^(\d{4}-\d{2}-\d{2})?$")
    )


DESK_FORMS: dict[str, type[DeskForm]] = {
    "appointment": AppointmentForm,
    "party": PartyForm,
    "session": SessionForm,
    "outcome": OutcomeForm,
    "follow_up": FollowUpForm,
}
