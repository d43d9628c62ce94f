"""The event envelope: the one shape every event on the bus has (DESIGN.md rule 1)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

EVENT_TYPE = validate.Regexp(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$", error="Not a dotted event type.")


class EnvelopeSchema(Schema):
    """Validates an envelope on both sides of the bus; payloads get their own schema by type."""

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
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

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


class PayloadSchemas:
    """The payload schema for each event type a service emits or consumes.

    Validating on emission catches a producer bug before it reaches the bus;
    validating on receipt turns a malformed message into a poison message that
    is dead-lettered at once instead of retried.
    """

    def __init__(self, schemas: Mapping[tuple[str, int], Schema]):
        self._schemas = dict(schemas)

    @property
    def schemas(self) -> dict[tuple[str, int], Schema]:
        return dict(self._schemas)

    @property
    def types(self) -> set[str]:
        return {type for type, _ in self._schemas}

    def new_event(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        correlation_id: str,
        case_id: str | None = None,
        version: int = 1,
        at: datetime | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        """`event_id`: give one derived from what the event records when the same fact
        may be told again (a redelivered cause), so consumers see a repeat, not news."""
        schema = self._schema(type, version)
        clean = schema.dump(dict(payload))
        schema.load(clean)  # a producer bug fails here, not in every consumer
        kwargs: dict[str, Any] = {"occurred_at": at} if at else {}
        if event_id:
            kwargs["event_id"] = event_id
        return Envelope(type, clean, correlation_id, case_id, version, **kwargs)

    def read(self, message: Mapping[str, Any]) -> Envelope:
        """Parse and validate a received message; raises ValidationError if it is malformed."""
        envelope = self.read_if_known(message, strict=True)
        assert envelope is not None
        return envelope

    def read_if_known(self, message: Mapping[str, Any], strict: bool = False) -> Envelope | None:
        """As `read`, but an event type (or version) without a schema here is None: a
        stream consumer bound to `case.#` is not broken by an event type it does not use."""
        if not isinstance(message, Mapping):
            raise ValidationError({"_schema": ["Envelope must be an object."]})
        head = ENVELOPE.load(message)
        if not strict and (head["type"], head["version"]) not in self._schemas:
            return None
        schema = self._schema(head["type"], head["version"])
        payload = schema.load(head["payload"])
        return Envelope(
            type=head["type"],
            payload=payload,
            correlation_id=head["correlation_id"],
            case_id=head["case_id"],
            version=head["version"],
            event_id=str(head["event_id"]),
            occurred_at=head["occurred_at"],
        )

    def _schema(self, type: str, version: int) -> Schema:
        try:
            return self._schemas[(type, version)]
        except KeyError:
            raise ValidationError({"type": [f"No schema for {type} v{version}."]}) from None
