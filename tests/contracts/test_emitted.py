"""Every event a service emits is read by every consumer bound to it (docs/events.md):
made by the producers' own code (tests/contracts/producers.py, and random sequences of
case actions), validated against the contract as it is emitted, then read off the wire
through each consumer's reading of it. Plain Python, no I/O.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from lianxin.bus.envelope import Envelope
from services.cases.app import actions as case_actions
from services.cases.domain import lifecycle
from tests.cases.domain.test_lifecycle import ACTORS, DOMAIN_ERRORS, STEPS, run
from tests.cases.factories import AT, STAFF, report, triaged
from tests.contracts.catalogue import CONTRACTS, readers_of
from tests.contracts.producers import cases_events, notify_events, roster_events

PRODUCED = {"cases": cases_events, "roster": roster_events, "notify": notify_events}

# Roster dispatches triaged cases: it needs a case event's category, team and priority,
# which the contract lets be null before triage, and refuses (parks) an event without
# them: a report nothing mapped that is withdrawn, rejected or merged, or assigned after
# an emergency escalation. The one gap between an emitter and a reader, kept as it was.
UNTRIAGED = ("category", "team", "priority")


def wire(event: Envelope) -> dict:
    """The message as its consumers receive it."""
    return json.loads(json.dumps(event.to_message()))


def check_read_by_every_consumer(source: str, event: Envelope) -> None:
    message = wire(event)
    for consumer, reader in readers_of(source, event.type):
        try:
            reader.read(message)
        except ValidationError as refused:
            untriaged = consumer.startswith("roster.") and set(refused.messages) <= set(UNTRIAGED)
            assert untriaged, f"{consumer} refuses {event.type}: {refused.messages}"
            assert any(event.payload[name] is None for name in refused.messages)


@pytest.mark.parametrize("source", sorted(PRODUCED))
def test_the_producers_emit_every_event_of_their_contract(source):
    made = {event.type for event in PRODUCED[source]()}
    assert made == CONTRACTS[source].types


@pytest.mark.parametrize("source", sorted(PRODUCED))
def test_every_event_a_producer_emits_is_read_by_every_consumer_bound_to_it(source):
    for event in PRODUCED[source]():
        check_read_by_every_consumer(source, event)


@pytest.mark.parametrize("source", sorted(PRODUCED))
def test_every_event_of_a_contract_has_a_consumer_that_reads_it(source):
    unread = {t for t in CONTRACTS[source].types if not readers_of(source, t)}
    assert unread == set(), f"nobody reads {sorted(unread)} from {source}"


def test_a_case_not_triaged_yet_is_refused_by_roster_alone():
    """The gap UNTRIAGED names, pinned: notify and metrics read the withdrawal of a report
    nothing mapped; roster refuses it for its null category, team and priority."""
    unmapped = report(description="有件事想反映一下").case
    assert unmapped.category == ""
    (withdrawn,) = case_actions.envelopes(lifecycle.withdraw(unmapped, STAFF, "", AT), "c", AT)
    refusing = set()
    for consumer, reader in readers_of("cases", "case.withdrawn"):
        try:
            reader.read(wire(withdrawn))
        except ValidationError as refused:
            assert set(refused.messages) == set(UNTRIAGED)
            refusing.add(consumer)
    assert refusing == {"roster.on_case_event"}


@settings(max_examples=150, deadline=None)
@given(st.booleans(), st.lists(st.tuples(STEPS, ACTORS), max_size=20))
def test_any_sequence_of_case_actions_emits_what_every_consumer_reads(from_triage, steps):
    case = triaged() if from_triage else report(description="有件事想反映一下").case
    for index, (step, by) in enumerate(steps):
        if step == "dispatch" and not case.category:
            continue  # roster offers only a case it was told is triaged
        try:
            outcome = run(case, step, by, AT + timedelta(minutes=index + 1))
        except DOMAIN_ERRORS:
            continue
        case = outcome.case
        for event in case_actions.envelopes(outcome, "c", AT):
            check_read_by_every_consumer("cases", event)
