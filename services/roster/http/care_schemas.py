"""Request and response schemas of the care rounds API (邻里守望): the register's plans,
their rounds and the ticks. A resident's name and number leave only masked."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.roster.domain.care import CADENCES, NEEDS, OUTCOMES, ROUND_KINDS
from services.roster.domain.policy import SLUG

PLAN_ID = validate.Regexp(r"^CP-[0-9a-f]{16}$")
NOTE = validate.Length(min=1, max=500)


class PlanBody(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(validate=validate.Regexp(r"^\+?\d{5,20}$", error="Digits only."))
    need = fields.String(required=True, validate=validate.OneOf(NEEDS))
    kind = fields.String(required=True, validate=validate.OneOf(ROUND_KINDS))
    cadence = fields.String(required=True, validate=validate.OneOf(CADENCES))
    area_code = fields.String(
        required=True, validate=SLUG, metadata={"description": "the resident's unit (or grid)"}
    )
    carer_id = fields.String(required=True, validate=SLUG)
    starts_at = fields.AwareDateTime(
        required=True, metadata={"description": "when the first round is due; then weekly or "
                                 "monthly at the same local time"},
    )  # fmt: skip
    consent = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Record the resident's agreement first."),
        metadata={"description": "the resident agreed to be looked after"},
    )


class CarerBody(Schema):
    carer_id = fields.String(required=True, validate=SLUG)


class EndBody(Schema):
    pass


class TickBody(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(required=True, validate=NOTE)
    case_id = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9\-]{1,40}$"),
        metadata={"description": "the case a round that needs help opened"},
    )


class RegisterQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)


class ConsentSchema(Schema):
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()


class TickSchema(Schema):
    round_id = fields.String()
    plan_id = fields.String()
    day = fields.Date()
    due_at = fields.AwareDateTime()
    carer_id = fields.String()
    outcome = fields.String()
    note = fields.String()
    at = fields.AwareDateTime()
    case_id = fields.String(allow_none=True)


class RoundSchema(Schema):
    id = fields.String()
    index = fields.Integer()
    day = fields.Date()
    due_at = fields.AwareDateTime()
    state = fields.String(metadata={"description": "due, overdue or ticked"})
    tick = fields.Nested(TickSchema, allow_none=True)


class PlanSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    grid_id = fields.String()
    area_code = fields.String()
    display_name = fields.String(metadata={"description": "masked"})
    phone = fields.String(metadata={"description": "masked"})
    need = fields.String()
    kind = fields.String()
    cadence = fields.String()
    carer_id = fields.String()
    starts_at = fields.AwareDateTime()
    timezone = fields.String()
    consent = fields.Nested(ConsentSchema)
    created_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    case_category = fields.String(
        metadata={"description": "the category of the case a round that needs help opens"}
    )
    rounds = fields.List(fields.Nested(RoundSchema))


class RegisterSchema(Schema):
    community_id = fields.String()
    plans = fields.List(fields.Nested(PlanSchema))


class CarerRoundsSchema(Schema):
    person_id = fields.String()
    plans = fields.List(fields.Nested(PlanSchema))
