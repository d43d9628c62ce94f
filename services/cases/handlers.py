"""Use cases of the cases service: intake and the actions on a case. Each runs under
the case's lease (store.change), asks domain code what happens, and saves the case
with its events and timers in one write. Reactions to other services' events and
to the timers are in reactions.py.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from lianxin.access.actors import Actor, Forbidden
from lianxin.bus.envelope import Envelope
from services.cases import areas, duplicates, intake, lifecycle
from services.cases.case_numbers import is_number, local_day, prefix_for
from services.cases.domain import (
    DONE,
    STAFF,
    By,
    Case,
    CaseNotFound,
    InvalidTransition,
    NotAssignee,
    NotPermitted,
    Outcome,
    require_role,
)
from services.cases.events import EMITS
from services.cases.store import CaseChange, CaseStore, Listing
from services.cases.triage import Category, Triage

CASE_ID_NAMESPACE = uuid.UUID("6f1c4a52-3b7e-4c44-9a3e-0c1d2b5e8a71")
Visible = Callable[[str], bool]


class IdempotencyKeyReused(Exception):
    def __init__(self, case_id: str | None):
        super().__init__("This key was already used for a different report.")
        self.case_id = case_id

    def details(self) -> dict[str, Any]:
        return {"case_id": self.case_id} if self.case_id else {}


class ChannelNotAllowed(Forbidden):
    """The report claims a channel its key may not (lianxin.access.actors.Actor.may_claim): a
    resident's app cannot pass its reports off as the hotline's and move its KPI."""

    def __init__(self, channel: str):
        super().__init__(f"This key may not report through the {channel} channel.")
        self.channel = channel

    def details(self) -> dict[str, Any]:
        return {"fields": {"channel": [str(self)]}}


class HotlineNotBound(Forbidden):
    """Work orders come only from a key bound to their hotline: the order number names
    the case, so any other key could otherwise squat a future order."""

    def __init__(self, hotline_id: str | None):
        bound = f"bound to {hotline_id}" if hotline_id else "not bound to a hotline"
        super().__init__(f"This key is {bound}; it may not file this hotline's work orders.")

    def details(self) -> dict[str, Any]:
        return {"fields": {"hotline_id": [str(self)]}}


def require_channel(actor: Actor, channel: str) -> None:
    if not actor.may_claim(channel):
        raise ChannelNotAllowed(channel)


def bound_hotline(actor: Actor, claimed: str | None) -> str:
    """The hotline whose orders this key files: its own, which the body may repeat."""
    if actor.hotline_id is None or (claimed is not None and claimed != actor.hotline_id):
        raise HotlineNotBound(actor.hotline_id)
    return actor.hotline_id


def _named(text: str) -> str:
    return "LX-" + uuid.uuid5(CASE_ID_NAMESPACE, text).hex[:16].upper()


def case_id_for(idempotency_key: str | None, key_id: str | None) -> str:
    """The same Idempotency-Key of the same API key always names the same case, so a
    retried intake finds it (rule 6); keys are scoped per API key, so that no
    integration can reach another's case by sending the same key."""
    if idempotency_key:
        return _named(f"key\n{key_id}\n{idempotency_key}")
    return "LX-" + uuid.uuid4().hex[:16].upper()


def hotline_case_id(hotline_id: str, order_no: str) -> str:
    """A work order names its case: a resend of the order finds the same case."""
    return _named(f"hotline\n{hotline_id}\n{order_no}")


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


# Intake


def report(
    store: CaseStore,
    received: intake.Intake,
    by: By,
    visible: Visible,
    idempotency_key: str | None,
    correlation_id: str | None,
    now: datetime,
) -> tuple[Case, bool]:
    """Open a case, or return the one this Idempotency-Key opened. True when created."""
    if not visible(received.community_id):
        raise areas.UnknownArea("community_id", f"Unknown community {received.community_id}.")
    case_id = case_id_for(idempotency_key, by.key_id)
    fingerprint = _fingerprint(received)
    with store.change(case_id) as change:
        if change.case is not None:
            if not visible(change.case.community_id):
                raise IdempotencyKeyReused(None)
            if change.document.get("intake_fingerprint") != fingerprint:
                raise IdempotencyKeyReused(case_id)
            return change.case, False
        return _open(store, change, case_id, received, by, correlation_id, now, fingerprint), True


def hotline_order(
    store: CaseStore,
    received: intake.Intake,
    by: By,
    visible: Visible,
    correlation_id: str | None,
    now: datetime,
) -> tuple[Case, bool]:
    """A 12345 work order: its number is unique per hotline, so a resend returns the case
    the first sending opened, whatever it says this time."""
    if not visible(received.community_id):
        raise areas.UnknownArea("community_id", f"Unknown community {received.community_id}.")
    hotline = received.hotline or {}
    case_id = hotline_case_id(hotline["hotline_id"], hotline["order_no"])
    with store.change(case_id) as change:
        if change.case is not None:
            if change.case.community_id != received.community_id:
                raise IdempotencyKeyReused(None)
            return change.case, False
        return _open(store, change, case_id, received, by, correlation_id, now, None), True


def _open(
    store: CaseStore,
    change: CaseChange,
    case_id: str,
    received: intake.Intake,
    by: By,
    correlation_id: str | None,
    now: datetime,
    fingerprint: str | None,
) -> Case:
    now = milliseconds(now)
    area = store.community_map(received.community_id)
    located = areas.locate(area, received.location)
    decided = store.taxonomy.triage(received.description, received.category, received.category_hint)
    number = store.allocate_number(
        prefix_for(received.community_id, store.prefixes),
        local_day(now, area.timezone),
        case_id,
        now,
    )
    outcome = intake.receive(case_id, number, received, located, decided, by, now)
    place = _place(received, located, decided)
    if place is not None and decided.category is not None:
        outcome = _merge_or_register(store, outcome, place, decided.category, decided, now)
    else:
        outcome = outcome.then(intake.triage(outcome.case, decided, _share(store), now))
    correlation = correlation_id or case_id
    change.save(
        outcome.case,
        envelopes(outcome, correlation, now),
        outcome.timers,
        intake_fingerprint=fingerprint,
        correlation_id=correlation,
    )
    return outcome.case


def _place(received: intake.Intake, located: areas.Located, decided: Triage):
    category = decided.category
    if category is None or decided.emergency is not None or not category.merges_duplicates:
        return None  # an emergency is never folded into another report
    point = received.location
    return duplicates.place_of(
        received.community_id,
        category.code,
        category.duplicate_radius_m,
        located.area_code,
        point.get("lat"),
        point.get("lon"),
        point.get("address"),
    )


def _merge_or_register(
    store: CaseStore,
    received: Outcome,
    place: duplicates.Place,
    category: Category,
    decided: Triage,
    now: datetime,
) -> Outcome:
    """Claim a place where no case is open; else, under the place's lease, fold the report
    into the open case there, or become it."""
    case = received.case
    since = now - category.duplicate_window
    entry = {
        "case_id": case.id,
        "number": case.number,
        "reported_at": now,
        "lat": place.lat,
        "lon": place.lon,
    }
    if store.claim_place(place, entry, category.duplicate_radius_m, since):
        triaged = received.then(intake.triage(case, decided, _share(store), now))
        return replace(triaged, case=replace(triaged.case, place_key=place.key))
    with store.place(place) as slot:
        for original_id in store.open_case_near(
            place, slot.document, category.duplicate_radius_m, since
        ):
            if original_id == case.id:
                continue  # a retry of this very report, whose case write failed after its claim
            with store.change(original_id) as original:
                current = original.case
                if current is None or not current.open or current.category != category.code:
                    continue
                merged = lifecycle.merge(case, current, By("triage", case.channel), now)
                original.save(lifecycle.absorb(current, merged.case, now))
                return received.then(merged)
        triaged = received.then(intake.triage(case, decided, _share(store), now))
        slot.save(entry)
    return replace(triaged, case=replace(triaged.case, place_key=place.key))


def _fingerprint(received: intake.Intake) -> str:
    fields = {name: getattr(received, name) for name in received.__dataclass_fields__}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


# Reading


def get(store: CaseStore, reference: str, visible: Visible) -> Case:
    """A case by id or readable number; another community's case is simply not found."""
    case_id = store.case_id_of_number(reference) if is_number(reference) else reference
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
    decide: Callable[[Case, datetime], Outcome],
) -> Case:
    """Run one action on a case under its lease: the domain decides, the case is saved
    with the events and timers it caused. A case leaving the open states stops being
    the one duplicates fold into."""
    now = milliseconds(now)
    case_id = get(store, reference, visible).id
    with store.change(case_id) as change:
        if change.case is None or not visible(change.case.community_id):
            raise CaseNotFound(reference)
        outcome = decide(change.case, now)
        correlation = correlation_id or change.document.get("correlation_id") or case_id
        change.save(outcome.case, envelopes(outcome, correlation, now), outcome.timers)
    if outcome.case.state in DONE:
        store.forget_place(outcome.case)
    return outcome.case


def merge(
    store: CaseStore, reference: str, into: str, by: By, visible: Visible, correlation_id, now
) -> Case:
    """Staff fold a duplicate they found into the open case it repeats."""
    target = get(store, into, visible)

    def decide(case: Case, at: datetime) -> Outcome:
        require_role(by, STAFF, "merge cases")
        with store.change(target.id) as original:
            current = original.case
            if current is None:
                raise CaseNotFound(into)
            outcome = lifecycle.merge(case, current, by, at)
            original.save(lifecycle.absorb(current, outcome.case, at))
        return outcome

    return act(store, reference, visible, correlation_id, now, decide)


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


def _share(store: CaseStore) -> float:
    return store.taxonomy.warning_share
