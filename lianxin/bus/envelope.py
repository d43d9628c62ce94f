"""The event envelope: the one shape every event on the bus has (docs/architecture.md rule 1)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from lianxin.clock import utc_now

EVENT_TYPE = validate.Regexp(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$", error="Not a dotted event type.")


class EnvelopeSchema(Schema):
    """Validates an envelope on both sides of the bus; payloads get their own schema by type
    (lianxin.contracts)."""

    class Meta:
        unknown = EXCLUDE  # tolerant reader: a newer producer may add envelope fields

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=EVENT_TYPE)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    case_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    payload = fields.Dict(keys=fields.String(), required=True)


# One instance for every message: a Schema's construction copies its declared fields,
# which cost more than reading a small envelope did. Its load keeps no state.
ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class Envelope:
    type: str
    payload: dict[str, Any]
    correlation_id: str
    case_id: str | None = None
    version: int = 1
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=utc_now)

    def to_message(self) -> dict[str, Any]:
        """The JSON-safe form: what goes on the wire and into an outbox."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "correlation_id": self.correlation_id,
            "case_id": self.case_id,
            "payload": self.payload,
        }
