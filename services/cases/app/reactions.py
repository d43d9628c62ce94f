"""How cases reacts to roster's events and to its own timers: each runs under the
case's (or the area map's) lease and applies once, however often it is delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from lianxin.bus.retry import PermanentError
from services.cases.app.actions import envelopes, milliseconds
from services.cases.domain import clock_actions, lifecycle, mediation
from services.cases.domain.areas import AreaNode, CommunityMap
from services.cases.domain.case import DONE, SYSTEM_ROSTER, Case, InvalidTransition, Outcome
from services.cases.domain.triage import Taxonomy
from services.cases.store import CaseStore

log = logging.getLogger(__name__)


def record_dispatch(store: CaseStore, event: Envelope, now: datetime) -> None:
    """Roster's answer to a case it was asked to dispatch: an offer, the offer's expiry,
    or an escalation. One queue carries all three, so a case's answers stay in order."""
    {
        "offer.made": record_offer,
        "offer.expired": record_expiry,
        "escalation.required": record_escalation,
    }[event.type](store, event, now)


def record_offer(store: CaseStore, event: Envelope, now: datetime) -> None:
    _apply(store, event, now, lambda case, at: lifecycle.dispatch(case, event.payload, at))


def record_expiry(store: CaseStore, event: Envelope, now: datetime) -> None:
    _apply(store, event, now, lambda case, at: lifecycle.expire(case, event.payload, at))


def record_escalation(store: CaseStore, event: Envelope, now: datetime) -> None:
    payload = event.payload

    def decide(case: Case, at: datetime) -> Outcome:
        return lifecycle.escalate(
            case,
            payload["level"],
            payload["reason"],
            SYSTEM_ROSTER,
            at,
            step=payload.get("step"),
            target=payload.get("target"),
        )

    _apply(store, event, now, decide)


def _apply(
    store: CaseStore, event: Envelope, now: datetime, decide: Callable[[Case, datetime], Outcome]
) -> None:
    """Apply a roster fact once. A fact that no longer fits the case (an offer arriving
    after the case was withdrawn) is recorded as seen and changes nothing."""
    case_id = event.payload["case_id"]
    now = milliseconds(now)
    with store.change(case_id) as change:
        if change.case is None:
            raise PermanentError(f"{event.type} for unknown case {case_id}")
        if change.applied(event.event_id):
            return
        try:
            outcome = decide(change.case, now)
        except InvalidTransition as exc:
            log.info("%s %s does not fit: %s", event.type, event.event_id, exc)
            change.save(change.case, applied_event=event.event_id)
            return
        change.save(
            outcome.case,
            envelopes(outcome, event.correlation_id, now),
            outcome.timers,
            applied_event=event.event_id,
        )


def on_timer(
    store: CaseStore,
    deadline: Deadline,
    now: datetime,
    decide: Callable[[Case, Mapping[str, Any], datetime], Outcome | None],
) -> None:
    """A time limit or its warning is due: the case, under its lease, says whether it
    still matters (not once it was accepted, resolved, suspended or moved on)."""
    now = milliseconds(now)
    with store.change(deadline.aggregate_id) as change:
        if change.case is None or change.applied(deadline.id):
            return
        outcome = decide(change.case, deadline.payload, now)
        if outcome is None:
            return
        correlation = change.correlation_id or change.case.id
        change.save(
            outcome.case,
            envelopes(outcome, correlation, now),
            outcome.timers,
            applied_event=deadline.id,
        )
    if outcome.case.state in DONE:
        store.forget_place(outcome.case)


def time_is_up(store: CaseStore, taxonomy: Taxonomy, deadline: Deadline, now: datetime) -> None:
    share = taxonomy.warning_share
    on_timer(
        store,
        deadline,
        now,
        lambda case, payload, at: clock_actions.fired(case, payload, at, share),
    )


def follow_up_due(store: CaseStore, deadline: Deadline, now: datetime) -> None:
    """An agreement's follow-up visit is due: remind whoever has the case, unless done."""
    on_timer(store, deadline, now, lambda case, payload, at: mediation.follow_up_due(case, at))


def record_area(store: CaseStore, event: Envelope) -> bool:
    """Keep the replica of roster's area registry; returns whether anything changed.
    Each node carries the version it was changed at: an older one is ignored."""
    payload = event.payload
    raw = payload["node"]
    community_id = raw.get("community_id")
    if community_id is None:
        return False  # a subdistrict: above every community, not needed to place a report
    node = AreaNode(
        code=raw["code"],
        kind=raw["kind"],
        parent=raw.get("parent"),
        name=raw.get("name") or raw["code"],
        version=payload["area_version"],
        households=raw.get("households"),
        polygon=tuple((point["lon"], point["lat"]) for point in raw.get("polygon") or ()),
        timezone=raw.get("timezone"),
        removed=bool(payload.get("removed")),
    )
    with store.area_change(community_id) as change:
        known = change.value or CommunityMap(community_id, {})
        updated = known.applied(node)
        if updated is None:
            return False
        change.save(updated)
    return True
