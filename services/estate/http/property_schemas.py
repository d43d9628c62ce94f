"""Request and response schemas of the property company's evaluation. No answer carries a
phone number; a household is named by its id, a comment is shown to staff with any number
in it masked."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lianxin.contracts.estate import PROPERTY_ACTIONS, PROPERTY_LEVELS
from lianxin.quarters import QUARTER
from services.estate.domain.households import SLUG
from services.estate.domain.property_ballots import (
    ASPECTS,
    MAX_BALLOTS,
    MAX_COMMENT,
    MAX_REASON,
    SATISFACTION,
)
from services.estate.domain.property_evaluation import MAX_COMPANY_NAME

ANSWER = validate.OneOf(SATISFACTION)
COUNT = validate.Range(min=0, max=MAX_BALLOTS)
PHONE = validate.Regexp(r"^\+?[0-9 -]{5,24}$")
MAX_ACTION_TEXT = 1000


def _counts() -> type[Schema]:
    return Schema.from_dict(
        {
            answer: fields.Integer(required=True, strict=True, validate=COUNT)
            for answer in SATISFACTION
        },
        name="AnswerCounts",
    )


AnswerCounts = _counts()
AspectCounts = Schema.from_dict(
    {aspect: fields.Nested(AnswerCounts, required=True) for aspect in ASPECTS}, name="AspectCounts"
)
AspectAnswers = Schema.from_dict(
    {aspect: fields.String(required=True, validate=ANSWER) for aspect in ASPECTS},
    name="AspectAnswers",
)


class CommunityQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)


class CompanyBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_COMPANY_NAME))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class OfflineBody(Schema):
    """Paper ballots counted per answer, for an open quarter (this one, or the last one
    until staff close it)."""

    community_id = fields.String(required=True, validate=SLUG)
    quarter = fields.String(required=True, validate=QUARTER)
    overall = fields.Nested(AnswerCounts, required=True)
    aspects = fields.Nested(AspectCounts, required=True)


class CorrectionBody(OfflineBody):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class CloseBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)


class ActionBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    kind = fields.String(required=True, validate=validate.OneOf(PROPERTY_ACTIONS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_ACTION_TEXT))
    due = fields.Date(load_default=None, metadata={"description": "a rectification plan's date"})


class ThresholdsBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    min_satisfaction = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    max_complaints_per_100 = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    min_ballots = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=10_000)
    )


class VoterBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    phone = fields.String(required=True, validate=PHONE)


class BallotBody(VoterBody):
    household_id = fields.String(required=True, validate=SLUG)
    overall = fields.String(required=True, validate=ANSWER)
    aspects = fields.Nested(AspectAnswers, required=True)
    comment = fields.String(load_default="", validate=validate.Length(max=MAX_COMMENT))


# -- answers --


class TallySchema(Schema):
    ballots = fields.Integer()
    overall = fields.Nested(AnswerCounts)
    aspects = fields.Nested(AspectCounts)
    satisfaction = fields.Float(allow_none=True, metadata={"description": "0–1; null: no ballot"})


class CompanySchema(Schema):
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    by = fields.String()
    at = fields.AwareDateTime()


class EntrySchema(Schema):
    seq = fields.Integer()
    tally = fields.Nested(TallySchema)
    by = fields.String()
    at = fields.AwareDateTime()
    reverses = fields.Integer(allow_none=True)
    reason = fields.String()


class ActionSchema(Schema):
    kind = fields.String(validate=validate.OneOf(PROPERTY_ACTIONS))
    by = fields.String()
    at = fields.AwareDateTime()
    text = fields.String()
    due = fields.Date(allow_none=True)


class ThresholdsSchema(Schema):
    min_satisfaction = fields.Float()
    max_complaints_per_100 = fields.Float()
    min_ballots = fields.Integer()


class CommentSchema(Schema):
    at = fields.AwareDateTime()
    overall = fields.String()
    comment = fields.String(metadata={"description": "phone numbers in it masked"})


class QuarterSchema(Schema):
    quarter = fields.String(validate=QUARTER)
    closed = fields.Boolean(
        metadata={
            "description": "false: the figures so far and the verdict "
            "the rule would give if it closed now"
        }
    )
    company = fields.String(allow_none=True)
    online = fields.Nested(TallySchema)
    offline = fields.Nested(TallySchema)
    ballots = fields.Nested(TallySchema)
    complaints = fields.Integer()
    households = fields.Integer()
    complaints_per_100 = fields.Float(allow_none=True)
    thresholds = fields.Nested(ThresholdsSchema)
    level = fields.String(validate=validate.OneOf(PROPERTY_LEVELS))
    reasons = fields.List(fields.String())
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    offline_entries = fields.List(fields.Nested(EntrySchema))
    actions = fields.List(fields.Nested(ActionSchema))
    comments = fields.List(fields.Nested(CommentSchema))


class PlanSchema(Schema):
    text = fields.String()
    due = fields.Date()
    by = fields.String()
    at = fields.AwareDateTime()
    met_at = fields.AwareDateTime(allow_none=True)


class StandingSchema(Schema):
    below_in_a_row = fields.Integer()
    plan = fields.Nested(PlanSchema, allow_none=True)


class EvaluationSchema(Schema):
    community_id = fields.String()
    estate_id = fields.String()
    company = fields.Nested(CompanySchema, allow_none=True)
    past = fields.List(fields.Nested(CompanySchema))
    open = fields.List(
        fields.Nested(QuarterSchema),
        metadata={
            "description": "the quarters staff may still close: the last one (while "
            "not closed) and this one, oldest first, each as it stands"
        },
    )
    history = fields.List(
        fields.Nested(QuarterSchema), metadata={"description": "closed quarters, newest first"}
    )
    standing = fields.Nested(StandingSchema)


class EvaluationsSchema(Schema):
    community_id = fields.String()
    quarter = fields.String()
    timezone = fields.String()
    thresholds = fields.Nested(ThresholdsSchema)
    estates = fields.List(fields.Nested(EvaluationSchema))


class VoterHouseholdSchema(Schema):
    household_id = fields.String()
    estate_id = fields.String()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    company = fields.String(allow_none=True, metadata={"description": "null: none to rate"})
    closed = fields.Boolean()
    voted_at = fields.AwareDateTime(allow_none=True)


class VoterSchema(Schema):
    community_id = fields.String()
    quarter = fields.String()
    households = fields.List(fields.Nested(VoterHouseholdSchema))


class CastSchema(Schema):
    community_id = fields.String()
    estate_id = fields.String()
    household_id = fields.String()
    quarter = fields.String()
    at = fields.AwareDateTime()
