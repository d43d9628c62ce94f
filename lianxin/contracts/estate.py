"""The events estate publishes on `estate.events` (docs/events.md, "estate emits"): what
the estate's self-governance decided that others count. No personal data: no name, no
number, not even the household (a flat is where someone lives): money in fen, per
community and fund year; the property evaluation's and the pact's figures per estate or
community and quarter.
"""

from __future__ import annotations

from marshmallow import fields, validate

from lianxin.contracts.contract import Contract, Payload
from lianxin.quarters import QUARTER

PAYMENT_KINDS = ("payment", "reversal")
PAYMENT_METHODS = ("cash", "wechat", "alipay", "bank", "other")
ID = validate.Length(min=1, max=64)


class PaymentRecorded(Payload):
    """Staff recorded a payment to the estate fund, or reversed one (a negative amount)."""

    payment_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    community_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    kind = fields.String(required=True, validate=validate.OneOf(PAYMENT_KINDS))
    amount_fen = fields.Integer(required=True, strict=True)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    recorded_at = fields.AwareDateTime(required=True)


# -- property evaluation --
# The property company's evaluation (物业考评): the ballot's answers and questions, what a
# closed quarter's verdict may be and the actions staff record about it, shared by the
# estate service, the console's pages and metrics' gauges.
PROPERTY_SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
PROPERTY_ASPECTS = ("cleaning", "security", "repairs", "green_space")
PROPERTY_LEVELS = ("none", "warning", "rectification", "replacement")  # in escalating order
PROPERTY_REASONS = ("satisfaction_low", "complaints_high", "plan_overdue")
PROPERTY_ACTIONS = ("warning", "rectification", "replacement", "plan_met")


class PropertyQuarterClosed(Payload):
    """Staff closed an estate's quarter: its frozen figures and verdict (no ballot, no
    household, no comment)."""

    community_id = fields.String(required=True, validate=ID)
    estate_id = fields.String(required=True, validate=ID)
    quarter = fields.String(required=True, validate=QUARTER)
    company = fields.String(required=True)
    ballots = fields.Integer(required=True, metadata={"description": "online and paper"})
    online_ballots = fields.Integer(required=True)
    offline_ballots = fields.Integer(required=True)
    satisfaction = fields.Float(
        required=True, allow_none=True,
        metadata={"description": "share of ballots satisfied or basically satisfied; null: none"},
    )  # fmt: skip
    complaints = fields.Integer(required=True)
    households = fields.Integer(required=True)
    level = fields.String(required=True, validate=validate.OneOf(PROPERTY_LEVELS))
    reasons = fields.List(fields.String(validate=validate.OneOf(PROPERTY_REASONS)), required=True)


PROPERTY_EVENTS = {("property.quarter_closed", 1): PropertyQuarterClosed()}


# -- pact --
# The residents' pact (居民公约红黑榜): what metrics counts per community and quarter. No
# household, no name, no text: an observation by its kind and article, a list by its size.
PACT_KINDS = ("breach", "commendation")
PACT_DECISIONS = ("upheld", "withdrawn")


class PactObservationRecorded(Payload):
    observation_id = fields.String(required=True)
    community_id = fields.String(required=True, validate=ID)
    estate_id = fields.String(required=True, validate=ID)
    quarter = fields.String(required=True, validate=QUARTER)
    kind = fields.String(required=True, validate=validate.OneOf(PACT_KINDS))
    article_number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    article_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    recorded_role = fields.String(required=True)
    recorded_at = fields.AwareDateTime(required=True)


class PactObservationDecided(Payload):
    observation_id = fields.String(required=True)
    community_id = fields.String(required=True, validate=ID)
    quarter = fields.String(required=True, validate=QUARTER)
    kind = fields.String(required=True, validate=validate.OneOf(PACT_KINDS))
    outcome = fields.String(required=True, validate=validate.OneOf(PACT_DECISIONS))
    decided_at = fields.AwareDateTime(required=True)


class PactListPublished(Payload):
    community_id = fields.String(required=True, validate=ID)
    quarter = fields.String(required=True, validate=QUARTER)
    black_households = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    red_households = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    observations = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    published_at = fields.AwareDateTime(required=True)


PACT_EVENTS = {
    ("pact.observation_recorded", 1): PactObservationRecorded(),
    ("pact.observation_decided", 1): PactObservationDecided(),
    ("pact.list_published", 1): PactListPublished(),
}


ESTATE = Contract(
    "estate",
    {("fund.payment_recorded", 1): PaymentRecorded(), **PROPERTY_EVENTS, **PACT_EVENTS},
)
