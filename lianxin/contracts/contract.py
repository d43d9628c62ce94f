"""How an event contract is declared, emitted by and read.

A `Contract` holds the payload schema of each event one service publishes on its
exchange, by type and envelope version: declared once, as the producer emits it. A
field marked `required` is one the producer guarantees; `allow_none` says it may be null.

The producer emits with `Contract.new_event`: the payload is validated against the
whole schema, so a producer bug fails there and then, not in every consumer.

A consumer reads through a `Reading` of the same schema, made by `Contract.reading`,
which names what the consumer `needs`, by dotted path. Unknown fields are excluded (a
producer may add fields later: a tolerant reader); a field the consumer needs must be
there and not null (an event without it is refused, and parked at once, as a poison
message), a nested one wherever what holds it is there (`node.polygon.lat`: every point
has a latitude; name `node.polygon` too if the outline itself is needed); every other
field is checked against the schema when it is there and may be missing, which the
consumer's own code allows for (`payload.get`). A consumer can only need what the
contract guarantees: `Reading` refuses, when it is made, to need a field that is not
required all the way down its path. Its `Reader` holds the readings of every event it
reads, and refuses an event it has no reading for, or skips it (`read_if_known`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError
from marshmallow import fields as ma_fields

from lianxin.bus.envelope import ENVELOPE, Envelope

EventKey = tuple[str, int]  # an event's type and its envelope version


class Payload(Schema):
    """The schema of one event's payload in a contract: fields a reader does not know
    are left out, so a producer may add fields without breaking its consumers."""

    class Meta:
        unknown = EXCLUDE


def nested_schema(field_: ma_fields.Field) -> Schema | None:
    """The schema a field nests, directly or as the items of a list."""
    if isinstance(field_, ma_fields.List):
        field_ = field_.inner
    return field_.schema if isinstance(field_, ma_fields.Nested) else None


def field_paths(schema: Schema, prefix: str = "") -> Iterator[tuple[str, ma_fields.Field]]:
    """Every field of a schema by its dotted path, nested ones included (marshmallow's
    `partial` names them so)."""
    for name, field_ in schema.fields.items():
        path = f"{prefix}{name}"
        yield path, field_
        inner = nested_schema(field_)
        if inner is not None:
            yield from field_paths(inner, f"{path}.")


def guaranteed(schema: Schema) -> frozenset[str]:
    """The paths the producer always sends: required at every step of the path (a
    nested field of an optional one is sent only with it)."""
    found: set[str] = set()
    for path, field_ in field_paths(schema):
        parent = path.rpartition(".")[0]
        if field_.required and (not parent or parent in found):
            found.add(path)
    return frozenset(found)


def nullable(schema: Schema) -> frozenset[str]:
    """The paths whose value the contract lets be null."""
    return frozenset(path for path, field_ in field_paths(schema) if field_.allow_none)


class Contract:
    """The events one service publishes on its exchange (`<source>.events`)."""

    def __init__(self, source: str, payloads: Mapping[EventKey, Payload]):
        self.source = source
        self._payloads = dict(payloads)

    @property
    def payloads(self) -> dict[EventKey, Payload]:
        return dict(self._payloads)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(type_ for type_, _ in self._payloads)

    def schema(self, type_: str, version: int = 1) -> Payload:
        try:
            return self._payloads[(type_, version)]
        except KeyError:
            raise ValidationError({"type": [f"No schema for {type_} v{version}."]}) from None

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
        """The event as the producer emits it, its payload validated against the
        contract (fields the contract does not declare are dropped). `event_id`: give
        one derived from what the event records when the same fact may be told again
        (a redelivered cause), so consumers see a repeat, not news."""
        schema = self.schema(type, version)
        clean = schema.dump(dict(payload))
        schema.load(clean)  # a producer bug fails here, not in every consumer
        kwargs: dict[str, Any] = {"occurred_at": at} if at else {}
        if event_id:
            kwargs["event_id"] = event_id
        return Envelope(type, clean, correlation_id, case_id, version, **kwargs)

    def reading(self, *types: str, needs: Iterable[str] = (), version: int = 1) -> list[Reading]:
        """How a consumer reads these event types: each with its schema here, needing
        `needs` (dotted paths) in every one of them."""
        return [
            Reading(self.source, type_, version, self.schema(type_, version), frozenset(needs))
            for type_ in types
        ]


@dataclass(frozen=True)
class Reading:
    """One consumer's reading of one event type: the contract's schema, and what the
    consumer cannot do without."""

    source: str
    type: str
    version: int
    schema: Payload
    needs: frozenset[str]
    _partial: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _may_be_null: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unsure = self.needs - guaranteed(self.schema)
        if unsure:
            raise ValueError(
                f"a reader of {self.source}'s {self.type} v{self.version} needs "
                f"{sorted(unsure)}, which the contract does not guarantee"
            )
        paths = [path for path, _ in field_paths(self.schema)]
        object.__setattr__(self, "_partial", tuple(p for p in paths if p not in self.needs))
        # needed, yet the contract lets it be null: the reader refuses a null itself
        may_be_null = sorted(self.needs & nullable(self.schema))
        object.__setattr__(self, "_may_be_null", tuple(may_be_null))

    @property
    def key(self) -> EventKey:
        return (self.type, self.version)

    def load(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload as this consumer reads it; raises ValidationError when what it
        needs is missing or null, or a field it carries is not what the contract says."""
        data = self.schema.load(payload, partial=self._partial)
        nulls = {
            path: ["Field may not be null."] for path in self._may_be_null if _null_at(data, path)
        }
        if nulls:
            raise ValidationError(nulls)
        return data


def _null_at(data: Mapping[str, Any], path: str) -> bool:
    """Whether `path` is there and null (what holds it missing or null, or a list on
    the way, is not this path's business)."""
    *holders, name = path.split(".")
    value: Any = data
    for part in holders:
        value = value.get(part) if isinstance(value, Mapping) else None
    return isinstance(value, Mapping) and name in value and value[name] is None


class Reader:
    """The events a service reads, each by its Reading: what `read` checks a received
    message against."""

    def __init__(self, *readings: Reading):
        self._readings: dict[EventKey, Reading] = {}
        for reading in readings:
            if reading.key in self._readings:
                raise ValueError(f"{reading.type} v{reading.version} is read twice")
            self._readings[reading.key] = reading

    @property
    def readings(self) -> dict[EventKey, Reading]:
        return dict(self._readings)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(type_ for type_, _ in self._readings)

    def read(self, message: Mapping[str, Any]) -> Envelope:
        """Parse and validate a received message; raises ValidationError if it is
        malformed, or of an event type (or version) this service does not read."""
        envelope = self.read_if_known(message, strict=True)
        assert envelope is not None
        return envelope

    def read_if_known(self, message: Mapping[str, Any], strict: bool = False) -> Envelope | None:
        """As `read`, but an event type (or version) without a reading here is None: a
        stream consumer bound to `case.#` is not broken by an event type it does not use."""
        if not isinstance(message, Mapping):
            raise ValidationError({"_schema": ["Envelope must be an object."]})
        head = ENVELOPE.load(message)
        reading = self._readings.get((head["type"], head["version"]))
        if reading is None:
            if not strict:
                return None
            raise ValidationError({"type": [f"No schema for {head['type']} v{head['version']}."]})
        return Envelope(
            type=head["type"],
            payload=reading.load(head["payload"]),
            correlation_id=head["correlation_id"],
            case_id=head["case_id"],
            version=head["version"],
            event_id=str(head["event_id"]),
            occurred_at=head["occurred_at"],
        )
