"""Event payload and response schemas of the notify service."""

from marshmallow import EXCLUDE, Schema, fields

from lianxin.envelope import PayloadSchemas


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE

    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    category = fields.String(required=True)
    team = fields.String(required=True)
    priority = fields.String(required=True)


class CaseDispatched(_Tolerant):
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    accept_by = fields.AwareDateTime(allow_none=True)


class CaseEscalated(_Tolerant):
    level = fields.String(required=True)
    reason = fields.String(required=True)


class NotificationOutcome(Schema):
    delivery_id = fields.String(required=True)
    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    category = fields.String(required=True)
    kind = fields.String(required=True)
    channel = fields.String(required=True)
    attempts = fields.Integer(required=True)
    error = fields.String(load_default="")


class DeliverySchema(Schema):
    id = fields.String()
    kind = fields.String()
    case_id = fields.String()
    channel = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    last_error = fields.String()
    delivered_at = fields.AwareDateTime(allow_none=True)


EVENTS = PayloadSchemas(
    {
        ("case.dispatched", 1): CaseDispatched(),
        ("case.escalated", 1): CaseEscalated(),
        ("notification.delivered", 1): NotificationOutcome(),
        ("notification.failed", 1): NotificationOutcome(),
    }
)
