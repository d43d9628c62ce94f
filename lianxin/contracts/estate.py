"""The events estate publishes on `estate.events` (docs/events.md, "estate emits"): what
the estate's self-governance decided that others count. No personal data: no name, no
number, not even the household (a flat is where someone lives): money in fen, per
community and fund year.
"""

from __future__ import annotations

from marshmallow import fields, validate

from lianxin.contracts.contract import Contract, Payload

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


ESTATE = Contract("estate", {("fund.payment_recorded", 1): PaymentRecorded()})
