"""The events estate publishes on `estate.events` (docs/events.md, "estate emits"): what
the estate's self-governance decided that others count. No personal data: households by
id, money in fen, time in minutes.
"""

from __future__ import annotations

from marshmallow import fields, validate

from lianxin.contracts.contract import Contract, Payload

# -- property evaluation --
# The property company's evaluation (物业考评): the ballot's answers and questions, what a
# closed quarter's verdict may be and the actions staff record about it, shared by the
# estate service, the console's pages and metrics' gauges.
PROPERTY_SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
PROPERTY_ASPECTS = ("cleaning", "security", "repairs", "green_space")
PROPERTY_LEVELS = ("none", "warning", "rectification", "replacement")  # in escalating order
PROPERTY_REASONS = ("satisfaction_low", "complaints_high", "plan_overdue")
PROPERTY_ACTIONS = ("warning", "rectification", "replacement", "plan_met")
QUARTER = r"^\d{4}-Q[1-4]$"
SLUG = validate.Length(min=1, max=64)


class PropertyQuarterClosed(Payload):
    """Staff closed an estate's quarter: its frozen figures and verdict (no ballot, no
    household, no comment)."""

    community_id = fields.String(required=True, validate=SLUG)
    estate_id = fields.String(required=True, validate=SLUG)
    quarter = fields.String(required=True, validate=validate.Regexp(QUARTER))
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

ESTATE = Contract("estate", {**PROPERTY_EVENTS})
