"""Request and response schemas of roster's activity routes (services.roster.http.activities)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lianxin.contracts.roster import ACTIVITY_KINDS
from services.roster.domain.activities import HOURS_RULES, MAX_CAPACITY, MAX_CREDIT_MINUTES
from services.roster.domain.policy import SLUG

MINUTES = validate.Range(min=1, max=MAX_CREDIT_MINUTES)
LONGEST_ACTIVITY_DAYS = 7


class ActivityListQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    upcoming = fields.Boolean(
        load_default=False, metadata={"description": "only those not ended yet"}
    )


class HoursRuleBody(Schema):
    basis = fields.String(
        required=True,
        validate=validate.OneOf(HOURS_RULES),
        metadata={"description": "length: the activity's length; fixed: fixed_minutes"},
    )
    fixed_minutes = fields.Integer(strict=True, allow_none=True, validate=MINUTES)
    cap_minutes = fields.Integer(strict=True, allow_none=True, validate=MINUTES)

    @validates_schema
    def fixed_names_its_minutes(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("basis") == "fixed" and not data.get("fixed_minutes"):
            raise ValidationError("A fixed rule names its minutes.", "fixed_minutes")


class ActivityBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    kind = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    places = fields.List(
        fields.String(validate=SLUG),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "area codes of the community"},
    )
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_CAPACITY))
    hours_rule = fields.Nested(HoursRuleBody, required=True)

    @validates_schema
    def a_window_of_at_most_a_week(self, data: dict[str, Any], **kwargs: Any) -> None:
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            raise ValidationError("The end comes after the start.", "ends_at")
        if starts and ends and (ends - starts).days >= LONGEST_ACTIVITY_DAYS:
            raise ValidationError("An activity lasts less than a week.", "ends_at")


class SignUpSchema(Schema):
    person_id = fields.String()
    display_name = fields.String(metadata={"description": "masked"})
    signed_up_at = fields.AwareDateTime()
    checked_in_at = fields.AwareDateTime(allow_none=True)


class ActivitySchema(Schema):
    activity_id = fields.String(attribute="id")
    community_id = fields.String()
    kind = fields.String()
    title = fields.String()
    places = fields.List(fields.String())
    place_names = fields.List(fields.String())
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String()
    capacity = fields.Integer()
    places_left = fields.Integer()
    signed_up = fields.Integer()
    checked_in = fields.Integer()
    credit_minutes = fields.Integer()
    hours_rule = fields.String(metadata={"description": "how an attendance is credited"})
    published_by = fields.String()
    published_at = fields.AwareDateTime()
    signups = fields.List(
        fields.Nested(SignUpSchema),
        metadata={"description": "staff: everyone's (masked); a volunteer: their own"},
    )


class ActivitiesSchema(Schema):
    community_id = fields.String()
    activities = fields.List(fields.Nested(ActivitySchema))
