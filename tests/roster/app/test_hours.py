"""The hours ledger's use cases (services.roster.app.hours), on the in-memory store:
credits and their reversal, staff decisions, redeliveries, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from lianxin.bus.envelope import Envelope
from services.roster.admin import OPERATOR
from services.roster.app import dispatch, hours, registry, views
from services.roster.domain.dispatch import CaseRef
from services.roster.domain.ledger import AlreadyDecided
from services.roster.domain.rows import rows_from_document
from tests.roster.app.case_events import (
    by_type,
    case_event,
    staff,
)
from tests.roster.conftest import FRIDAY_NOON_UTC


def test_hours_are_credited_once_and_a_reopening_reverses_them(store, community, probe):
    now = FRIDAY_NOON_UTC
    dispatch.on_case_event(store, case_event("case.triaged", "LX-H1", 2), now)
    accepted = case_event("case.accepted", "LX-H1", 4, person_id="p-repair-2")
    dispatch.on_case_event(store, accepted, now)
    resolved = case_event(
        "case.resolved",
        "LX-H1",
        5,
        person_id="p-repair-2",
        accepted_at=now.isoformat(),
        resolved_at=(now + timedelta(hours=1)).isoformat(),
    )
    resolved = Envelope(
        resolved.type,
        {**resolved.payload, "accepted_at": now, "resolved_at": now + timedelta(hours=1)},
        "test",
        "LX-H1",
    )
    dispatch.on_case_event(store, resolved, now)
    dispatch.on_case_event(store, resolved, now)  # delivered twice
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]] == [("credit", 90)]
    assert store.find("people", "p-repair-2")["open_cases"] == []

    reopened = case_event(
        "case.reopened", "LX-H1", 6, reopen_count=1, person_id="p-repair-2", reason="灯又坏了"
    )
    dispatch.on_case_event(store, reopened, now)
    dispatch.on_case_event(store, reopened, now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]] == [("credit", 90), ("reversal", -90)]
    assert ledger["balance_minutes"] == 0
    events = probe()
    kinds = [e["payload"]["kind"] for e in by_type(events, "hours.credited")]
    assert kinds == ["credit", "reversal"]
    assert len(by_type(events, "offer.made")) == 2  # the reopened case is dispatched again


def test_a_credit_over_the_threshold_waits_for_staff_who_decide_it_once(store, community):
    stricter = rows_from_document(
        {"policies": [{"community": "jingxiang", "hours": {"approval_above": "1h"}}]}, "p.yaml"
    )
    assert registry.import_rows(
        store, stricter, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    now = FRIDAY_NOON_UTC
    dispatch.on_case_event(
        store, case_event("case.accepted", "LX-H2", 3, person_id="p-repair-2"), now
    )
    resolved = Envelope(
        "case.resolved",
        {
            **case_event("case.resolved", "LX-H2", 4, person_id="p-repair-2").payload,
            "accepted_at": now,
            "resolved_at": now + timedelta(minutes=20),
        },
        "test",
        "LX-H2",
    )
    dispatch.on_case_event(store, resolved, now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    (pending,) = ledger["entries"]
    assert (pending.state, ledger["balance_minutes"], ledger["pending_minutes"]) == (
        "pending_approval",
        0,
        90,
    )
    decided = hours.decide(store, pending.id, True, 60, "one hour", staff("p-staff-1"), now)
    assert (decided.kind, decided.minutes, decided.refers_to) == ("credit", 60, pending.id)
    with pytest.raises(AlreadyDecided):
        hours.decide(store, pending.id, False, None, "", staff("p-staff-2"), now)
    with pytest.raises(hours.EntryNotFound):  # a key of another community
        hours.decide(store, pending.id, True, None, "", staff("p-staff-1", ["elsewhere"]), now)
    assert hours.ledger_of(store, person_id="p-repair-2")["pending_minutes"] == 0

    reopened = case_event("case.reopened", "LX-H2", 5, reopen_count=1, reason="没修好")
    dispatch.on_case_event(store, reopened, now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]][-1] == ("reversal", -60)
    assert ledger["balance_minutes"] == 0

    correction = hours.correct(
        store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-1"
    )
    again = hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-1")
    assert correction.id == again.id  # the same Idempotency-Key, the same entry
    csv_text = views.hours_csv(store, "jingxiang", "people", OPERATOR)
    assert "p-repair-2,45,0.75,4" in csv_text.splitlines()


def test_a_resolution_handled_twice_credits_once_under_one_event_id(store, community, probe):
    """roster remembers only the last events of a case: a very late redelivery of
    case.resolved finds its ledger line there, and tells hours.credited no second time."""
    case = CaseRef(
        "LX-HOURS", "jingxiang", "jingxiang-g1", "facility.lighting", "repair_crew", "normal", "c"
    )
    resolved = case_event(
        "case.resolved", "LX-HOURS", 7, person_id="p-repair-2",
        accepted_at=FRIDAY_NOON_UTC, resolved_at=FRIDAY_NOON_UTC + timedelta(hours=1),
    )  # fmt: skip
    hours.credit_resolution(store, case, resolved)
    hours.credit_resolution(store, case, resolved)
    assert store.db["hours"].count_documents({"case_id": "LX-HOURS"}) == 1
    (credited,) = by_type(probe(), "hours.credited")
    assert credited["payload"]["entry_id"] == f"H-{resolved.event_id}"


def test_the_hours_csv_quotes_text_a_spreadsheet_would_run_and_keeps_numbers(store, community):
    """A note or a key's name comes from people: `=`, `+`, `-` or `@` first is quoted with an
    apostrophe, so a spreadsheet shows it instead of running it; minutes stay numbers."""
    now = FRIDAY_NOON_UTC
    key = hours.Staff("@k", None, None)
    hours.correct(store, "p-repair-2", -30, '=HYPERLINK("http://x.example")', None, key, now, "c")
    exported = views.hours_csv(store, "jingxiang", "entries", OPERATOR)
    (row,) = [r for r in csv.DictReader(io.StringIO(exported)) if r["kind"] == "correction"]
    assert (row["note"], row["by"]) == ('\'=HYPERLINK("http://x.example")', "'@k")
    assert (row["minutes"], row["hours"]) == ("-30", "-0.50")
