"""The events notify publishes on `notify.events` (docs/events.md, "notify emits"): what
became of each delivery, for metrics."""

from __future__ import annotations

from marshmallow import fields, validate

from lianxin.contracts.contract import Contract, Payload

OUTCOMES = ("notification.delivered", "notification.failed", "notification.dead")


class NotificationOutcome(Payload):
    delivery_id = fields.String(required=True)
    case_id = fields.String(required=True)
    community_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    category = fields.String(required=True, validate=validate.Length(max=100))
    kind = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.Length(min=1, max=64))
    attempts = fields.Integer(required=True)
    # our own short reason with a status, never a receiver's answer nor a secret
    error = fields.String(required=True)


NOTIFY = Contract("notify", {(outcome, 1): NotificationOutcome() for outcome in OUTCOMES})
