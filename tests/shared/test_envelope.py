"""The event envelope: validated on the way out (a contract's `new_event`) and on the way
in (a reader's `read`), docs/architecture.md rule 1."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError, fields

from lianxin.contracts.contract import Contract, Payload, Reader

SHANGHAI_OFFSET = timezone(timedelta(hours=8))
AT = datetime(2026, 3, 6, 9, 30, tzinfo=SHANGHAI_OFFSET)


class Accepted(Payload):
    case_id = fields.String(required=True)
    person_id = fields.String(required=True)


class Triaged(Payload):
    case_id = fields.String(required=True)
    accept_by = fields.AwareDateTime(required=True)


CONTRACT = Contract("cases", {("case.accepted", 1): Accepted(), ("case.triaged", 1): Triaged()})
READER = Reader(
    *CONTRACT.reading("case.accepted", needs=("case_id", "person_id")),
    *CONTRACT.reading("case.triaged", needs=("case_id", "accept_by")),
)
ACCEPTED = {"case_id": "C-1", "person_id": "p-repair-1"}


def message(**changes) -> dict:
    event = CONTRACT.new_event("case.accepted", ACCEPTED, correlation_id="corr-1", case_id="C-1")
    return {**event.to_message(), **changes}


def refusal(received) -> dict:
    with pytest.raises(ValidationError) as refused:
        READER.read(received)
    return refused.value.messages


# Emitting


def test_a_new_event_with_a_missing_payload_field_is_refused():
    with pytest.raises(ValidationError) as refused:
        CONTRACT.new_event("case.accepted", {"case_id": "C-1"}, correlation_id="corr-1")
    assert "person_id" in refused.value.messages


def test_a_new_event_of_a_type_without_schema_is_refused():
    with pytest.raises(ValidationError) as refused:
        CONTRACT.new_event("case.teleported", ACCEPTED, correlation_id="corr-1")
    assert "type" in refused.value.messages


def test_a_new_event_drops_fields_its_schema_does_not_know():
    payload = {**ACCEPTED, "phone": "13807310001"}
    event = CONTRACT.new_event("case.accepted", payload, correlation_id="c")
    assert event.payload == ACCEPTED


def test_a_new_event_has_a_fresh_uuid_and_an_aware_time():
    first = CONTRACT.new_event("case.accepted", ACCEPTED, correlation_id="c")
    second = CONTRACT.new_event("case.accepted", ACCEPTED, correlation_id="c")
    assert first.event_id != second.event_id
    assert uuid.UUID(first.event_id).version == 4
    assert first.occurred_at.tzinfo is not None


def test_the_message_is_json_with_utc_time():
    event = CONTRACT.new_event(
        "case.triaged", {"case_id": "C-1", "accept_by": AT}, correlation_id="c", at=AT
    )
    wire = json.loads(json.dumps(event.to_message()))
    assert wire["occurred_at"] == "2026-03-06T01:30:00+00:00"
    assert wire["payload"]["accept_by"] == AT.isoformat()
    assert set(wire) == {
        "event_id",
        "type",
        "version",
        "occurred_at",
        "correlation_id",
        "case_id",
        "payload",
    }


# Receiving


def test_a_message_round_trips():
    event = CONTRACT.new_event(
        "case.accepted", ACCEPTED, correlation_id="corr-1", case_id="C-1", at=AT
    )
    received = READER.read(json.loads(json.dumps(event.to_message())))
    assert received.event_id == event.event_id
    assert received.type == "case.accepted"
    assert received.payload == ACCEPTED
    assert (received.correlation_id, received.case_id, received.version) == ("corr-1", "C-1", 1)
    assert received.occurred_at == AT
    assert received.occurred_at.utcoffset() == timedelta(0)


@given(
    accept_by=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_a_payload_time_comes_back_as_the_same_instant(accept_by):
    payload = {"case_id": "C-1", "accept_by": accept_by}
    event = CONTRACT.new_event("case.triaged", payload, correlation_id="c")
    received = READER.read(json.loads(json.dumps(event.to_message())))
    assert received.payload == payload


@pytest.mark.parametrize("received", [None, "a string", ["a", "list"], 42])
def test_a_message_that_is_not_an_object_is_refused(received):
    assert "_schema" in refusal(received)


@pytest.mark.parametrize(
    "field", ["event_id", "type", "version", "occurred_at", "correlation_id", "payload"]
)
def test_a_message_missing_a_required_envelope_field_is_refused(field):
    received = message()
    del received[field]
    assert field in refusal(received)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", "not-a-uuid"),
        ("type", "CaseAccepted"),
        ("type", "case"),
        ("type", "case.accepted!"),
        ("version", 0),
        ("version", "1"),
        ("version", True),
        ("occurred_at", "last tuesday"),
        ("correlation_id", ""),
        ("case_id", "C" * 65),
        ("payload", ["not", "a", "dict"]),
    ],
)
def test_a_malformed_envelope_field_is_refused(field, value):
    assert field in refusal(message(**{field: value}))


def test_a_message_of_a_type_without_schema_is_refused():
    assert "type" in refusal(message(type="case.teleported"))


def test_a_message_of_an_unknown_version_is_refused():
    assert "type" in refusal(message(version=2))


def test_a_message_with_a_bad_payload_is_refused():
    assert "person_id" in refusal(message(payload={"case_id": "C-1"}))


def test_a_naive_occurred_at_is_read_as_utc():
    # The envelope schema declares default_timezone=UTC: a producer that drops the
    # offset is taken to mean UTC, as docs/architecture.md rule 1 says occurred_at is.
    received = READER.read(message(occurred_at="2026-03-06T01:30:00"))
    assert received.occurred_at == datetime(2026, 3, 6, 1, 30, tzinfo=UTC)


def test_extra_envelope_fields_from_a_newer_producer_are_ignored():
    received = READER.read(message(trace_id="abc"))
    assert received.payload == ACCEPTED


def test_a_message_without_case_id_reads_as_none():
    received = message()
    del received["case_id"]
    assert READER.read(received).case_id is None
