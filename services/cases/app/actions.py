"""The actions on a case after intake (app/intake.py): reading it, and every action of
staff, assignees and reporters. Each runs under the case's lease (store.change), asks
the domain what happens, and saves the case with its events and timers in one write.
Reactions to other services' events and to the timers are in reactions.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lianxin.access.actors import Actor
from lianxin.bus.envelope import Envelope
from services.cases.domain import lifecycle
from services.cases.domain.case import (
    DONE,
    STAFF,
    By,
    Case,
    CaseNotFound,
    InvalidTransition,
    NotAssignee,
    NotPermitted,
    Outcome,
    already_applied,
    remembering,
    require_role,
)
from services.cases.domain.case_numbers import is_number
from services.cases.events import EMITS
from services.cases.store import CaseStore, Listing

Decide = Callable[[Case, datetime], Outcome]
Visible = Callable[[str], bool]


def by_actor(actor: Actor, channel: str) -> By:
    """Who acts, as the domain sees it: the person if one acts, else the key."""
    return By(
        name=actor.person_id or actor.key_name,
        channel=channel,
        person_id=actor.person_id,
        role=actor.role,
        key_id=actor.key_id,
        staff=actor.is_admin and actor.person_id is None,
    )


def milliseconds(moment: datetime) -> datetime:
    """What MongoDB keeps of a time: an answer shows the same instant a later read does."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# Reading


def case_id_of(store: CaseStore, reference: str) -> str | None:
    """The case id a reference names: the id itself, or the case a readable number names."""
    return store.case_id_of_number(reference) if is_number(reference) else reference


def get(store: CaseStore, reference: str, visible: Visible) -> Case:
    """A case by id or readable number; another community's case is simply not found."""
    case_id = case_id_of(store, reference)
    case = store.get(case_id) if case_id else None
    if case is None or not visible(case.community_id):
        raise CaseNotFound(reference)
    return case


def listing(
    store: CaseStore, filters: Mapping[str, Any], communities: frozenset[str] | None
) -> Listing:
    return store.listing(filters, communities, filters.get("limit", 50), filters.get("cursor"))


# Actions


def act(
    store: CaseStore,
    reference: str,
    visible: Visible,
    correlation_id: str | None,
    now: datetime,
    decide: Decide,
    request: Mapping[str, str] | None = None,
) -> Case:
    """Run one action on a case under its lease: the domain decides, the case is saved
    with the events and timers it caused. The case is read once, under the lease. A case
    leaving the open states stops being the one duplicates fold into.

    `request` (`{key, action}`, from the caller's Idempotency-Key) makes a repeat of an
    action the case already applied answer the case as it is, acting no second time."""
    now = milliseconds(now)
    case_id = case_id_of(store, reference)
    if case_id is None:
        raise CaseNotFound(reference)
    with store.change(case_id) as change:
        if change.case is None or not visible(change.case.community_id):
            raise CaseNotFound(reference)
        if request is not None and already_applied(change.case, request):
            return change.case
        outcome = decide(change.case, now)
        saved = remembering(outcome.case, request) if request is not None else outcome.case
        correlation = correlation_id or change.correlation_id or case_id
        change.save(saved, envelopes(outcome, correlation, now), outcome.timers)
    if saved.state in DONE:
        store.forget_place(saved)
    return saved


def merge(
    store: CaseStore,
    reference: str,
    into: str,
    by: By,
    visible: Visible,
    correlation_id: str | None,
    now: datetime,
    request: Mapping[str, str] | None = None,
) -> Case:
    """Staff fold a duplicate they found into the open case it repeats.

    Two leases, always in this order: the duplicate's (taken by `act`), then the open
    case's. The open case is written first (its lease is the inner one): its note of the
    duplicate is idempotent by the duplicate's id (lifecycle.absorb), so a merge whose
    duplicate write then fails is simply retried, and counts and answers it once. The
    other order would strand a merged duplicate its open case never heard of. Intake's
    merge takes the same two (app/intake.py); no merge holds a third."""
    target_id = get(store, into, visible).id

    def decide(case: Case, at: datetime) -> Outcome:
        require_role(by, STAFF, "merge cases")
        with store.change(target_id) as original:
            current = original.case
            if current is None:
                raise CaseNotFound(into)
            outcome = lifecycle.merge(case, current, by, at)
            original.save(lifecycle.absorb(current, outcome.case, at))
        return outcome

    return act(store, reference, visible, correlation_id, now, decide, request)


def perform_action(
    store: CaseStore, case_id: str, action: str, person_id: str, role: str, note: str, now
) -> dict[str, Any]:
    """What a signed action link (notify) does: the same use case as the HTTP action,
    answered as data rather than an HTTP status, with the readable number notify shows."""
    by = By(person_id, "link", person_id=person_id, role=role)
    decisions = {
        "accept": lambda case, at: lifecycle.accept(case, by, at),
        "decline": lambda case, at: lifecycle.decline(case, by, note or "declined by link", at),
        "resolve": lambda case, at: lifecycle.resolve(case, by, note or "已处理", 0.0, (), at),
    }
    if action not in decisions:
        return {"ok": False, "code": "unknown_action", "state": None}
    try:
        case = act(store, case_id, lambda _: True, None, now, decisions[action])
    except CaseNotFound:
        return {"ok": False, "code": "not_found", "state": None}
    except InvalidTransition as refused:
        return {"ok": False, "code": "invalid_transition", "state": refused.state}
    except (NotAssignee, NotPermitted):
        current = store.get(case_id)
        return {
            "ok": False,
            "code": "not_assignee",
            "state": current.state if current else None,
            "number": current.number if current else None,
        }
    return {"ok": True, "state": case.state, "number": case.number}


def envelopes(outcome: Outcome, correlation_id: str, now: datetime) -> list[Envelope]:
    return [
        EMITS.new_event(
            kind, payload, correlation_id=correlation_id, case_id=outcome.case.id, at=now
        )
        for kind, payload in outcome.facts
    ]
