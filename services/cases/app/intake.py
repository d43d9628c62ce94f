"""Intake: a report becomes a case, once, whichever channel it came through (the JSON
API, the hotline's work orders, Open311). Each channel turns its request into a
`Report` (domain/intake.py) and hands it to the one `Intake`, built once in compose.py
with the repository and the reference data every intake needs: the taxonomy (with its
time-limit policy) and the readable numbers' prefixes.

A report is opened under its case's lease, so a retry with the same Idempotency-Key
(or a resend of the same work order) finds the case the first one opened (rule 6). A
report of a problem already open at the same place is folded into that case
(`_merge_or_register`), which holds at most two leases at once: the new case's and
either the place's or the open case's (see there).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from lianxin.access.actors import Actor, Forbidden
from services.cases.app.actions import Visible, envelopes, milliseconds
from services.cases.domain import areas, duplicates, lifecycle
from services.cases.domain.case import By, Case, Outcome
from services.cases.domain.case_numbers import local_day, prefix_for
from services.cases.domain.intake import Report, receive, triage
from services.cases.domain.triage import Category, Taxonomy, Triage
from services.cases.store import CaseChange, CaseStore

CASE_ID_NAMESPACE = uuid.UUID("6f1c4a52-3b7e-4c44-9a3e-0c1d2b5e8a71")


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


def _fingerprint(received: Report) -> str:
    fields = {name: getattr(received, name) for name in received.__dataclass_fields__}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Sending:
    """One sending of a report: the case it names, who sent it and when (as stored, to
    the millisecond), and its fingerprint (None for a work order)."""

    case_id: str
    received: Report
    by: By
    correlation_id: str | None
    now: datetime
    fingerprint: str | None


@dataclass(frozen=True)
class Intake:
    """The one intake of the service: the repository, the taxonomy (which carries the
    time-limit policy) and the number prefixes, handed to every channel."""

    store: CaseStore
    taxonomy: Taxonomy
    prefixes: Mapping[str, str]

    def report(
        self,
        received: Report,
        by: By,
        visible: Visible,
        idempotency_key: str | None,
        correlation_id: str | None,
        now: datetime,
    ) -> tuple[Case, bool]:
        """Open a case, or return the one this Idempotency-Key opened. True when created."""
        _require_visible(received, visible)
        case_id = case_id_for(idempotency_key, by.key_id)
        fingerprint = _fingerprint(received)

        def same_report(found: Case, found_fingerprint: str | None) -> None:
            if not visible(found.community_id):
                raise IdempotencyKeyReused(None)
            if found_fingerprint != fingerprint:
                raise IdempotencyKeyReused(case_id)

        sending = Sending(case_id, received, by, correlation_id, milliseconds(now), fingerprint)
        return self._open_once(sending, same_report)

    def hotline_order(
        self, received: Report, by: By, visible: Visible, correlation_id: str | None, now: datetime
    ) -> tuple[Case, bool]:
        """A 12345 work order: its number is unique per hotline, so a resend returns the
        case the first sending opened, whatever it says this time."""
        _require_visible(received, visible)
        hotline = received.hotline or {}
        case_id = hotline_case_id(hotline["hotline_id"], hotline["order_no"])

        def same_order(found: Case, _: str | None) -> None:
            if found.community_id != received.community_id:
                raise IdempotencyKeyReused(None)

        sending = Sending(case_id, received, by, correlation_id, milliseconds(now), None)
        return self._open_once(sending, same_order)

    def _open_once(
        self, sending: Sending, same: Callable[[Case, str | None], None]
    ) -> tuple[Case, bool]:
        """Under the case's lease: open it, or return the case a first sending opened
        once `same` (given it and its fingerprint) has found it is the same report."""
        with self.store.change(sending.case_id) as change:
            if change.case is not None:
                same(change.case, change.intake_fingerprint)
                return change.case, False
            return self._open(change, sending), True

    def _open(self, change: CaseChange, sending: Sending) -> Case:
        """The case as reported and triaged (or folded into the open case at its place),
        numbered, and saved with its events: the first write under its lease."""
        case_id, received, now = sending.case_id, sending.received, sending.now
        area = self.store.community_map(received.community_id)
        located = areas.locate(area, received.location)
        decided = self.taxonomy.triage(
            received.description, received.category, received.category_hint
        )
        number = self.store.allocate_number(
            prefix_for(received.community_id, self.prefixes),
            local_day(now, area.timezone),
            case_id,
            now,
        )
        outcome = receive(case_id, number, received, located, decided, sending.by, now)
        place = _place(received, located, decided)
        if place is not None and decided.category is not None:
            outcome = self._merge_or_register(outcome, place, decided.category, decided, now)
        else:
            outcome = outcome.then(triage(outcome.case, decided, self.taxonomy, now))
        correlation = sending.correlation_id or case_id
        change.open(
            outcome.case,
            envelopes(outcome, correlation, now),
            outcome.timers,
            correlation_id=correlation,
            intake_fingerprint=sending.fingerprint,
        )
        return outcome.case

    def _merge_or_register(
        self,
        received: Outcome,
        place: duplicates.Place,
        category: Category,
        decided: Triage,
        now: datetime,
    ) -> Outcome:
        """Claim a place where no case is open; else fold the report into the open case
        there, or become the place's case.

        The new case's lease is held throughout (its write comes last, in `_open`), and
        at most one other with it: the place's while deciding whom the place names, or
        the open case's while folding into it, never both. The place's lease is given
        up before the open case's is taken, so the open case is read there without its
        lease only to choose; under its own lease it is checked again, and if it closed
        or changed category meanwhile the place is looked at afresh. Registering needs
        no open case's lease: a case named by the place that is not open leaves the
        place free, and a closed case never becomes the place's again (a reopened one
        is not re-registered; nor was it before)."""
        case = received.case
        store = self.store
        since = now - category.duplicate_window
        entry = {
            "case_id": case.id,
            "number": case.number,
            "reported_at": now,
            "lat": place.lat,
            "lon": place.lon,
        }
        if store.claim_place(place, entry, category.duplicate_radius_m, since):
            return self._registered(received, decided, place, now)
        while True:
            with store.place(place) as slot:
                original_id = self._open_case_at(place, slot.value, category, since, case)
                if original_id is None:
                    registered = self._registered(received, decided, place, now)
                    slot.save(entry)
                    return registered
            merged = self._fold_into(original_id, case, category, now)
            if merged is not None:
                return received.then(merged)

    def _open_case_at(
        self,
        place: duplicates.Place,
        own: Mapping[str, Any] | None,
        category: Category,
        since: datetime,
        case: Case,
    ) -> str | None:
        """The open case of the category the place names, nearest first, if any."""
        for original_id in self.store.open_case_near(
            place, own, category.duplicate_radius_m, since
        ):
            if original_id == case.id:
                continue  # a retry of this very report, whose case write failed after its claim
            if _takes_duplicates(self.store.get(original_id), category):
                return original_id
        return None

    def _fold_into(
        self, original_id: str, case: Case, category: Category, now: datetime
    ) -> Outcome | None:
        """Under the open case's lease: the report's merge, with the open case taking note
        of it; None if the case is no longer open for this category."""
        with self.store.change(original_id) as original:
            current = original.case
            if not _takes_duplicates(current, category):
                return None
            merged = lifecycle.merge(case, current, By("triage", case.channel), now)
            original.save(lifecycle.absorb(current, merged.case, now))
            return merged

    def _registered(
        self, received: Outcome, decided: Triage, place: duplicates.Place, now: datetime
    ) -> Outcome:
        triaged = received.then(triage(received.case, decided, self.taxonomy, now))
        return replace(triaged, case=replace(triaged.case, place_key=place.key))


def _takes_duplicates(case: Case | None, category: Category) -> bool:
    return case is not None and case.open and case.category == category.code


def _require_visible(received: Report, visible: Visible) -> None:
    if not visible(received.community_id):
        raise areas.UnknownArea("community_id", f"Unknown community {received.community_id}.")


def _place(received: Report, located: areas.Located, decided: Triage) -> duplicates.Place | None:
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
