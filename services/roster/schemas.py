"""Event payload and response schemas of the roster service."""

from marshmallow import EXCLUDE, Schema, fields, validate

from lianxin.envelope import PayloadSchemas


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


class CaseTriaged(_Tolerant):
    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    category = fields.String(required=True)
    team = fields.String(required=True)
    priority = fields.String(required=True)
    accept_by = fields.AwareDateTime(required=True)


class CaseResolved(_Tolerant):
    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    person_id = fields.String(required=True)
    volunteer_hours = fields.Float(required=True)


class OfferMade(Schema):
    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    grid_id = fields.String(required=True)
    team = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class EscalationRequired(Schema):
    case_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    team = fields.String(required=True)
    level = fields.String(required=True)
    reason = fields.String(required=True)


class OnDutyQuery(Schema):
    grid_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    team = fields.String(required=True, validate=validate.Length(min=1, max=64))


class OnDutyPerson(Schema):
    person_id = fields.String()
    display_name = fields.String(metadata={"description": "masked"})


class OnDutySchema(Schema):
    grid_id = fields.String()
    team = fields.String()
    on_duty = fields.List(fields.Nested(OnDutyPerson))


class HoursEntry(Schema):
    case_id = fields.String()
    hours = fields.Float()
    at = fields.AwareDateTime()


class VolunteerHoursSchema(Schema):
    person_id = fields.String()
    total = fields.Float()
    entries = fields.List(fields.Nested(HoursEntry))


EVENTS = PayloadSchemas(
    {
        ("case.triaged", 1): CaseTriaged(),
        ("case.resolved", 1): CaseResolved(),
        ("offer.made", 1): OfferMade(),
        ("escalation.required", 1): EscalationRequired(),
    }
)
