"""Ledger writes that fail at a fault point, on the real FerretDB and RabbitMQ: the retry
stores the line once and the broker is told once (lianxin.faults; DESIGN.md rule 3).

Each test has a database of its own; what the store publishes goes to the real broker,
where a probe queue bound to the roster's exchange reads it back."""

from __future__ import annotations

import pytest

from lianxin.faults import armed
from lianxin.store.aggregates import LeaseExpired
from services.roster.app import dispatch, hours
from tests.roster.app.case_events import (
    by_type,
    case_event,
    resolved_lighting,
    staff,
    stricter_approval,
)
from tests.roster.conftest import FRIDAY_NOON_UTC

pytestmark = pytest.mark.integration


@pytest.fixture
def store(broker_store):
    return broker_store


@pytest.fixture
def probe(broker_probe):
    return broker_probe


@pytest.fixture
def community(broker_community):
    return broker_community


def lease_expired() -> None:
    raise LeaseExpired("the write outran its lease")


def told(events: list[dict], entry_id: str) -> list[dict]:
    return [e for e in by_type(events, "hours.credited") if e["payload"]["entry_id"] == entry_id]


def test_an_approval_whose_write_failed_is_retried_told_once_and_reversed_on_reopening(
    store, community, probe
):
    stricter_approval(store)
    now = FRIDAY_NOON_UTC
    dispatch.on_case_event(
        store, case_event("case.accepted", "LX-F3", 3, person_id="p-repair-2"), now
    )
    dispatch.on_case_event(store, resolved_lighting("LX-F3", 4), now)
    (pending,) = hours.ledger_of(store, person_id="p-repair-2")["entries"]
    probe()
    with armed("aggregate.before_write", lease_expired), pytest.raises(LeaseExpired):
        hours.decide(store, pending.id, True, 60, "", staff("p-staff-1"), now)
    decided = hours.decide(store, pending.id, True, 60, "", staff("p-staff-1"), now)  # the retry
    assert (decided.kind, decided.minutes) == ("credit", 60)
    assert len(told(probe(), decided.id)) == 1

    dispatch.on_case_event(store, case_event("case.reopened", "LX-F3", 5, reopen_count=1), now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]][-1] == ("reversal", -60)
    assert ledger["balance_minutes"] == 0


def test_a_correction_whose_write_failed_is_retried_with_its_key_once_and_told_once(
    store, community, probe
):
    now = FRIDAY_NOON_UTC
    with armed("aggregate.before_write", lease_expired), pytest.raises(LeaseExpired):
        hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-retry")
    entry = hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-retry")
    again = hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-retry")
    assert again.id == entry.id
    assert hours.ledger_of(store, person_id="p-repair-2")["balance_minutes"] == 45
    assert len(told(probe(), entry.id)) == 1
