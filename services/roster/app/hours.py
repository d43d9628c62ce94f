"""Ledger use cases: credit a resolution, reverse it on reopening, staff decisions and
corrections, balances and exports.

Each ledger line is an aggregate of its own (hours/<entry id>): the line and its
`hours.credited` event are one document write, its event in its outbox (DESIGN.md
rule 3), and its id says what caused it, so a repeat finds it there and changes
nothing. A credit's id is `H-<case.resolved event id>`; a reversal's
`HR-<case.reopened event id>`; a staff decision on a pending credit is
`<credit id>:decision` (one per credit); a correction's id comes from the caller's
Idempotency-Key; an activity's attendance is `HA-<activity>:<person>`
(services.roster.app.activities). Which credit a reopening takes back is kept on the case's dispatch
(services.roster.domain.credits); what that credit counted for is read from the ledger itself
(the credit and its decision), under the case's lease, which staff decisions also take.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from lianxin.bus.envelope import Envelope
from services.roster.app.duty import PersonNotFound
from services.roster.domain import ledger
from services.roster.domain.credits import Reopening, Resolution
from services.roster.domain.dispatch import CaseRef, Dispatch
from services.roster.domain.ledger import AlreadyDecided, Entry, decision_id
from services.roster.events import EMITS
from services.roster.store import RosterStore

CORRECTION_NAMESPACE = uuid.UUID("3c0a5e12-9f4b-4d3e-8a61-2b7c9d0e4f15")


class EntryNotFound(Exception):
    def __init__(self, entry_id: str):
        super().__init__(f"No hours entry {entry_id}.")


def credited_event(entry: Entry, correlation_id: str) -> Envelope:
    return EMITS.new_event(
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
            "refers_to": entry.refers_to,
        },
        correlation_id=correlation_id,
        case_id=entry.case_id,
        at=entry.at,
        # one event per ledger entry: a case.resolved handled twice credits once, and its
        # hours.credited repeats under the same id, which metrics counts once
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"lianxin:hours:{entry.id}")),
    )


class CorrectionKeyReused(Exception):
    """An Idempotency-Key already made a different correction."""

    def __init__(self):
        super().__init__("This Idempotency-Key was used for another correction.")


def record(store: RosterStore, entry: Entry, correlation_id: str) -> Entry:
    """Write a ledger line with its event in one change. A line already there is returned
    as it stands: its event went out with it, and is not told again."""
    with store.ledger.change(entry.id) as change:
        if change.value is not None:
            return change.value
        change.save(entry, [credited_event(entry, correlation_id)])
    return entry


def count(store: RosterStore, dispatch: Dispatch, event: Envelope, version: int) -> Dispatch:
    """The hours a case event (of case version `version`) credits or takes back, whatever
    order the case's events arrive in (services.roster.domain.credits): a resolution is credited
    when it arrives, and each reopening takes its resolution's credit back as soon as that
    is known."""
    payload = event.payload
    credits = dispatch.credits
    if event.type == "case.resolved":
        credit_id = credit_resolution(store, dispatch.case, event)
        credits = credits.resolved(Resolution(version, credit_id))
    elif event.type == "case.reopened":
        reopening = Reopening(
            count=payload["reopen_count"],
            version=version,
            reversal_id=f"HR-{event.event_id}",
            at=event.occurred_at,
            reason=payload.get("reason") or "",
        )
        credits = credits.reopened(reopening)
    else:
        return dispatch
    for reopening, resolution in credits.due():
        note = f"case reopened: {reopening.reason or 'no reason given'}"
        take_back(
            store,
            resolution.credit_id,
            reopening.reversal_id,
            reopening.at,
            note,
            event.correlation_id,
        )
        credits = credits.took_back(reopening, resolution)
    return replace(dispatch, credits=credits)


def credit_resolution(store: RosterStore, case: CaseRef, event: Envelope) -> str:
    """The hours a resolution earns, by the community's rule (never what a request
    claims), from the times the event carries. Returns the credit's entry id."""
    payload = event.payload
    person = store.find("people", payload["person_id"]) or {}
    community = store.definition("areas", case.community_id) or {}
    award = ledger.award(
        store.policy(case.community_id).hours,
        case.category,
        payload.get("accepted_at"),
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
    recorded = record(store, entry, event.correlation_id)
    if recorded.state == "pending_approval":
        list_waiting(store, recorded)
    return entry.id


def take_back(
    store: RosterStore, credit_id: str, reversal_id: str, at: datetime, note: str, correlation: str
) -> None:
    """What a credit counted for, as the ledger holds it now: an approved credit (or an
    approved decision on it) gets a reversal entry; a pending one is voided, so that it
    can no longer be approved; a rejected one counted nothing. Dated when the case was
    reopened."""
    credit = store.ledger.get(credit_id)
    if credit is None:
        raise EntryNotFound(credit_id)
    counted = counted_minutes(store, credit)
    if counted is None:
        void = ledger.decide(credit, False, None, "roster", f"void: {note}", at)
        record(store, void, correlation)
    elif counted:
        counted_credit = replace(credit, minutes=counted)
        record(store, ledger.reverse(counted_credit, reversal_id, at, note), correlation)
    if credit.state == "pending_approval":
        unlist_waiting(store, credit)


def counted_minutes(store: RosterStore, credit: Entry) -> int | None:
    """What a credit counts for: its minutes once approved; None while it waits."""
    if credit.state == "approved":
        return credit.minutes
    decided = store.ledger.get(decision_id(credit.id))
    return decided.minutes if decided else None


@dataclass(frozen=True)
class Staff:
    """Who decides or corrects: the name the ledger records, and the person acting (None
    for an integration's key), who may not touch their own hours."""

    name: str
    person_id: str | None
    communities: Iterable[str] | None  # what the key may see; None for all


def decide(
    store: RosterStore,
    entry_id: str,
    approve: bool,
    minutes: int | None,
    note: str,
    staff: Staff,
    now: datetime,
) -> Entry:
    """Staff approve or reject a credit that waits for them, once. Under the case's lease,
    so that a reopening of the case never voids or reverses it halfway. The same decision
    asked again (a retry) answers what was decided."""
    pending = _entry(store, entry_id, staff.communities)
    # a case's credit is decided under the case's lease; an activity's has no reopening
    case_lease = store.dispatches.change(pending.case_id) if pending.case_id else nullcontext()
    with case_lease:
        decision = ledger.decide(
            pending, approve, minutes, staff.name, note, now, acting=staff.person_id
        )
        recorded = record(store, decision, f"hours-{entry_id}")
    unlist_waiting(store, pending)
    if _as_decided(recorded) != _as_decided(decision):
        raise AlreadyDecided(entry_id)
    return recorded


def _as_decided(entry: Entry) -> tuple:
    return (entry.kind, entry.minutes, entry.by, entry.note)


def correct(
    store: RosterStore,
    person_id: str,
    minutes: int,
    reason: str,
    case_id: str | None,
    staff: Staff,
    now: datetime,
    request_id: str,
) -> Entry:
    """A staff correction: an entry of its own, counted at once. The same request (the
    caller's Idempotency-Key, scoped to its API key) makes the same entry, once."""
    person = store.find("people", person_id)
    if person is None:
        raise PersonNotFound(person_id)
    entry_id = "HX-" + uuid.uuid5(CORRECTION_NAMESPACE, f"{person_id}:{request_id}").hex[:16]
    entry = ledger.correction(
        entry_id, person, minutes, reason, case_id, staff.name, now, acting=staff.person_id
    )
    recorded = record(store, entry, f"hours-{entry_id}")
    if (recorded.minutes, recorded.note, recorded.case_id) != (minutes, reason, case_id):
        raise CorrectionKeyReused()
    return recorded


def _entry(store: RosterStore, entry_id: str, visible: Iterable[str] | None) -> Entry:
    entry = store.ledger.get(entry_id)
    if entry is None or (visible is not None and entry.community_id not in set(visible)):
        raise EntryNotFound(entry_id)
    return entry


# -- the credits waiting for staff (hours_waiting/<community>) ---------------------------------


def list_waiting(store: RosterStore, credit: Entry) -> None:
    """List a pending credit for staff. Run again on every redelivery of its resolution
    (so a crash between the ledger line and this leaves nothing unlisted), it lists a
    credit once, and never one already decided: deciding takes this same lease to unlist."""
    with store.waiting.change(credit.community_id) as change:
        listed = (change.value or {}).get("entries", [])
        if credit.id in listed or store.ledger.get(decision_id(credit.id)) is not None:
            return
        change.save({"entries": [*listed, credit.id]})


def unlist_waiting(store: RosterStore, credit: Entry) -> None:
    """Take a decided or voided credit off the list; a retry of the decision finds it gone."""
    with store.waiting.change(credit.community_id) as change:
        listed = (change.value or {}).get("entries", [])
        if credit.id in listed:
            change.save({"entries": [entry for entry in listed if entry != credit.id]})


def waiting(
    store: RosterStore, community_id: str, after: str | None, limit: int
) -> tuple[int, list[Entry]]:
    """How many credits wait in the community, and a page of them, oldest first, after the
    entry `after` (from the start when it is no longer listed). Each is read by `_id`; one
    decided but not yet unlisted (its decider stopped between the two writes) is left out."""
    listed = (store.waiting.get(community_id) or {}).get("entries", [])
    start = listed.index(after) + 1 if after in listed else 0
    page: list[Entry] = []
    for entry_id in listed[start:]:
        entry = store.ledger.get(entry_id)
        if entry is not None and store.ledger.get(decision_id(entry_id)) is None:
            page.append(entry)
        if len(page) == limit:
            break
    return len(listed), page


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
