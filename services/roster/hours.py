"""Ledger use cases: credit a resolution, reverse it on reopening, staff decisions and
corrections, balances and exports.

A credit is written under the case's lease, as an insert keyed by the event that
caused it (`H-<case.resolved event id>`): a redelivered event finds it there. The
case's dispatch remembers what its last resolution credited, so a reopening
reverses exactly that, and a staff decision on a pending credit is taken once
(its entry's `_id` is the credit's, plus `:decision`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from lianxin.envelope import Envelope
from services.roster import ledger
from services.roster.domain import Credit, Dispatch
from services.roster.duty import PersonNotFound
from services.roster.events import EVENTS
from services.roster.ledger import AlreadyDecided, Entry
from services.roster.store import (
    RosterStore,
    dispatch_document,
    dispatch_from,
    entry_document,
    entry_from,
)

CORRECTION_NAMESPACE = uuid.UUID("3c0a5e12-9f4b-4d3e-8a61-2b7c9d0e4f15")


class EntryNotFound(Exception):
    def __init__(self, entry_id: str):
        super().__init__(f"No hours entry {entry_id}.")


def credited_event(entry: Entry, correlation_id: str) -> Envelope:
    return EVENTS.new_event(
        "hours.credited",
        {
            "entry_id": entry.id,
            "person_id": entry.person_id,
            "case_id": entry.case_id,
            "community_id": entry.community_id,
            "household_id": entry.household_id,
            "hours": entry.hours,
            "kind": entry.kind,
            "state": entry.state,
        },
        correlation_id=correlation_id,
        case_id=entry.case_id,
        at=entry.at,
        # one event per ledger entry: a case.resolved handled twice credits once, and its
        # hours.credited repeats under the same id, which metrics counts once
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"lianxin:hours:{entry.id}")),
    )


def credit_resolution(store: RosterStore, dispatch: Dispatch, event: Envelope):
    """The hours a resolution earns, by the community's rule (never what a request
    claims). Returns the dispatch remembering the credit, and the event to emit."""
    payload = event.payload
    case = dispatch.case
    person = store.find("people", payload["person_id"]) or {}
    community = store.definition("areas", case.community_id) or {}
    award = ledger.award(
        store.policy(case.community_id).hours,
        case.category,
        payload.get("accepted_at") or dispatch.accepted_at,
        payload.get("resolved_at") or event.occurred_at,
        ZoneInfo(community.get("timezone") or "Asia/Shanghai"),
    )
    entry = Entry(
        id=f"H-{event.event_id}",
        kind="credit",
        state=award.state,
        person_id=payload["person_id"],
        community_id=case.community_id,
        minutes=award.minutes,
        at=payload.get("resolved_at") or event.occurred_at,
        case_id=case.case_id,
        household_id=person.get("household_id"),
        rule=award.rule,
    )
    store.insert("hours", entry_document(entry))
    credit = Credit(entry.id, entry.person_id, entry.minutes, entry.state)
    return replace(dispatch, credit=credit), [credited_event(entry, event.correlation_id)]


def reverse_resolution(store: RosterStore, dispatch: Dispatch, event: Envelope):
    """A reopened case takes back what its resolution credited: an approved credit gets a
    reversal entry; a pending one is voided, so it can no longer be approved. The entry
    is dated when the case was reopened."""
    credit = dispatch.credit
    if credit is None or credit.state == "void":
        return replace(dispatch, credit=None), []
    credited = store.find("hours", credit.entry_id)
    if credited is None:
        return replace(dispatch, credit=None), []
    original = entry_from(credited)
    note = f"case reopened: {event.payload.get('reason') or 'no reason given'}"
    if credit.state == "approved":
        counted = replace(original, minutes=credit.minutes)
        entry = ledger.reverse(counted, f"HR-{event.event_id}", event.occurred_at, note)
    else:
        entry = ledger.decide(original, False, None, "roster", f"void: {note}", event.occurred_at)
    store.insert("hours", entry_document(entry))
    return replace(dispatch, credit=None), [credited_event(entry, event.correlation_id)]


def decide(
    store: RosterStore,
    entry_id: str,
    approve: bool,
    minutes: int | None,
    by: str,
    note: str,
    now: datetime,
    visible: Iterable[str] | None,
) -> Entry:
    """Staff approve or reject a credit that waits for them, under the case's lease."""
    pending = _entry(store, entry_id, visible)
    if pending.case_id is None:
        raise ledger.NotPending(entry_id)
    with store.change("dispatches", pending.case_id) as change:
        decision = ledger.decide(pending, approve, minutes, by, note, now)
        if not store.insert("hours", entry_document(decision)):
            raise AlreadyDecided(entry_id)
        dispatch = dispatch_from(change.document)
        if dispatch is not None:
            if dispatch.credit is not None and dispatch.credit.entry_id == entry_id:
                state = "approved" if approve else "void"
                dispatch = replace(
                    dispatch, credit=replace(dispatch.credit, minutes=decision.minutes, state=state)
                )
            change.save(
                dispatch_document(dispatch), [credited_event(decision, f"hours-{entry_id}")]
            )
    return decision


def correct(
    store: RosterStore,
    person_id: str,
    minutes: int,
    reason: str,
    case_id: str | None,
    by: str,
    now: datetime,
    idempotency_key: str | None,
) -> Entry:
    """A staff correction: an entry of its own, counted at once. The same
    Idempotency-Key makes the same entry."""
    entry_id = "HX-" + (
        uuid.uuid5(CORRECTION_NAMESPACE, f"{person_id}:{idempotency_key}").hex[:16]
        if idempotency_key
        else uuid.uuid4().hex[:16]
    )
    with store.change("people", person_id) as change:
        person = change.document
        if person is None:
            raise PersonNotFound(person_id)
        entry = Entry(
            id=entry_id,
            kind="correction",
            state="approved",
            person_id=person_id,
            community_id=person["community_id"],
            minutes=minutes,
            at=now,
            case_id=case_id,
            household_id=person.get("household_id"),
            note=reason,
            by=by,
        )
        if store.insert("hours", entry_document(entry)):
            change.save(person, [credited_event(entry, f"hours-{entry_id}")])
    return entry_from(store.find("hours", entry_id))


def _entry(store: RosterStore, entry_id: str, visible: Iterable[str] | None) -> Entry:
    stored = store.find("hours", entry_id)
    if stored is None or (visible is not None and stored["community_id"] not in set(visible)):
        raise EntryNotFound(entry_id)
    return entry_from(stored)


def ledger_of(store: RosterStore, **match: str) -> dict:
    """A person's or a household's ledger: every entry, the exact balance, what waits."""
    entries = store.entries(**match)
    pending = [e for e in entries if e.state == "pending_approval" and not _decided(e, entries)]
    return {
        "entries": entries,
        "balance_minutes": ledger.balance(entries),
        "pending_minutes": sum(e.minutes for e in pending),
    }


def _decided(entry: Entry, entries: list[Entry]) -> bool:
    return any(other.refers_to == entry.id and other.kind != "reversal" for other in entries)
