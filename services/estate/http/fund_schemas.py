"""Request and response schemas of the estate fund: the year's rates, payments, eligibility,
statements. Money in fen and time in minutes, integers."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lianxin.contracts.estate import PAYMENT_METHODS
from services.estate.domain.fund import DEFAULT_CEILING_FEN, DEFAULT_FLOOR_FEN, MAX_FEN
from services.estate.domain.households import SLUG

YEAR = validate.Range(2000, 2100)
FEN = validate.Range(min=1, max=MAX_FEN)
REASON = validate.Length(min=1, max=500)
RECEIPT = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_/-]{0,39}$", error="Letters, digits, _ / -.")


def _zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValidationError("A time zone such as Asia/Shanghai.") from None


def _strict_int(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


class YearBody(Schema):
    year = _strict_int(required=True, validate=YEAR)
    dues_rate_fen_per_m2 = _strict_int(required=True, validate=validate.Range(1, 100_000))
    hour_rate_fen = _strict_int(required=True, validate=validate.Range(0, 100_000))
    floor_fen = _strict_int(load_default=DEFAULT_FLOOR_FEN, validate=validate.Range(0, MAX_FEN))
    ceiling_fen = _strict_int(load_default=DEFAULT_CEILING_FEN, validate=validate.Range(1, MAX_FEN))
    start_month = _strict_int(validate=validate.Range(1, 12))
    timezone = fields.String(validate=lambda name: _zone(name))

    @validates_schema
    def floor_under_ceiling(self, data, **kwargs):
        if data.get("floor_fen", 0) > data.get("ceiling_fen", MAX_FEN):
            raise ValidationError("The floor is above the ceiling.", "floor_fen")


class RatesSchema(Schema):
    dues_rate_fen_per_m2 = fields.Integer()
    hour_rate_fen = fields.Integer()
    floor_fen = fields.Integer()
    ceiling_fen = fields.Integer()


class SettingsSchema(Schema):
    community_id = fields.String()
    timezone = fields.String()
    start_month = fields.Integer()
    current_year = fields.Integer()
    years = fields.Dict(keys=fields.String(), values=fields.Nested(RatesSchema))


class PaymentBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    household_id = fields.String(required=True, validate=SLUG)
    year = _strict_int(required=True, validate=YEAR)
    amount_fen = _strict_int(required=True, validate=FEN)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    receipt = fields.String(required=True, validate=RECEIPT)


class ReasonBody(Schema):
    reason = fields.String(required=True, validate=REASON)


class DecisionBody(ReasonBody):
    year = _strict_int(required=True, validate=YEAR)


class PaymentSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    household_id = fields.String()
    year = fields.Integer()
    kind = fields.String()
    amount_fen = fields.Integer()
    method = fields.String()
    receipt = fields.String()
    at = fields.AwareDateTime()
    by = fields.String()
    refers_to = fields.String(allow_none=True)
    reason = fields.String()


class WindowSchema(Schema):
    since = fields.AwareDateTime()
    until = fields.AwareDateTime(allow_none=True)
    reason = fields.String()
    by = fields.String()
    revoke_reason = fields.String()
    revoked_by = fields.String()


class EligibilitySchema(Schema):
    community_id = fields.String()
    household_id = fields.String()
    year = fields.Integer()
    eligible_now = fields.Boolean()
    windows = fields.List(fields.Nested(WindowSchema))


class StatementSchema(Schema):
    community_id = fields.String()
    household_id = fields.String()
    year = fields.Integer()
    floor_area_centi_m2 = fields.Integer()
    dues_fen = fields.Integer()
    paid_fen = fields.Integer()
    credited_minutes = fields.Integer(metadata={"description": "approved, in the fund year"})
    eligible_minutes = fields.Integer(metadata={"description": "of them, while eligible"})
    converted_fen = fields.Integer(metadata={"description": "at most the dues left"})
    balance_fen = fields.Integer(metadata={"description": "below zero: paid over"})
    eligible_now = fields.Boolean()
    rates = fields.Nested(RatesSchema)


class HouseholdYearSchema(Schema):
    statement = fields.Nested(StatementSchema)
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    payments = fields.List(fields.Nested(PaymentSchema))
    windows = fields.List(fields.Nested(WindowSchema))


class StatementsQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    year = fields.Integer(validate=YEAR, metadata={"description": "default: the current one"})
    after = fields.String(validate=SLUG, metadata={"description": "the last household seen"})


class YearQuery(Schema):
    year = fields.Integer(validate=YEAR, metadata={"description": "default: the current one"})


class StatementsSchema(Schema):
    community_id = fields.String()
    year = fields.Integer()
    statements = fields.List(fields.Nested(StatementSchema))
    next_after = fields.String(allow_none=True)


class ResidentBody(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    phone = fields.String(
        required=True,
        validate=validate.Length(min=5, max=30),
        metadata={"description": "a number the console proved by SMS code"},
    )
    year = _strict_int(validate=YEAR)


class ResidentStatementsSchema(Schema):
    community_id = fields.String()
    households = fields.List(fields.Nested(HouseholdYearSchema))
