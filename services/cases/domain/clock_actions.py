"""The actions about time: suspending and resuming the clock (挂起), extensions (延期),
and what a time limit's warning or breach does when its timer fires. Plain Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.cases.domain import time_limits
from services.cases.domain.case import (
    STAFF,
    SYSTEM_TIMER,
    By,
    Case,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    Outcome,
    elapsed_since,
    emit,
    noted,
    require_role,
    with_timers,
)
from services.cases.domain.hotline import replies
from services.cases.domain.lifecycle import escalate, next_level
from services.cases.domain.triage import Taxonomy


class ExtensionNotPending(Exception):
    def __init__(self, case_id: str):
        super().__init__(f"Case {case_id} has no extension request waiting for a decision.")


def suspend(case: Case, by: By, reason: str, now: datetime) -> Outcome:
    """挂起: waiting on an outside department; the time limits stand still."""
    require_role(by, STAFF, "suspend a case")
    if case.suspended_since is not None or not time_limits.awaiting(case.state, "resolve"):
        raise InvalidTransition(case.id, case.state, "suspend")
    suspended = noted(case, "suspend", now, by, reason)
    suspended = replace(
        suspended,
        suspended_since=now,
        suspension_reason=reason,
        clock_generation=case.clock_generation + 1,
    )
    return emit(case, suspended, ("case.suspended", {"reason": reason}))


def resume(case: Case, taxonomy: Taxonomy, by: By, note: str, now: datetime) -> Outcome:
    require_role(by, STAFF, "resume a case")
    if case.suspended_since is None:
        raise InvalidTransition(case.id, case.state, "resume")
    paused = elapsed_since(case.suspended_since, now)
    resumed = noted(case, "resume", now, by, note)
    resumed = replace(
        resumed,
        suspended_since=None,
        suspension_reason=None,
        accept_by=time_limits.shifted(case.accept_by, paused),
        resolve_by=time_limits.shifted(case.resolve_by, paused),
        clock_start=time_limits.shifted(case.clock_start, paused),
        clock_generation=case.clock_generation + 1,
    )
    outcome = emit(case, resumed, ("case.resumed", {"reason": case.suspension_reason or note}))
    return with_timers(outcome, time_limits.clock(outcome.case, taxonomy.warning_share))


def request_extension(case: Case, by: By, until: datetime, reason: str, now: datetime) -> Outcome:
    """延期: the assignee (or staff) asks for more time; staff decide."""
    if not time_limits.awaiting(case.state, "resolve"):
        raise InvalidTransition(case.id, case.state, "request an extension for")
    if not (by.may(STAFF) or (by.person_id is not None and by.person_id == case.assignee)):
        raise NotPermitted("Only the assignee or staff may ask for an extension.")
    if until <= max(now, case.resolve_by or now):
        raise InvalidRequest("until", "Must be later than now and than the current resolve-by.")
    extension = {"until": until, "reason": reason, "by": by.name, "state": "pending"}
    requested = replace(noted(case, "request_extension", now, by, reason), extension=extension)
    outcome = emit(
        case,
        requested,
        ("case.extension_requested", {"until": until, "reason": reason, "by": by.name}),
    )
    return replies(outcome, "extension_requested", reason=reason, until=until)


def decide_extension(
    case: Case, taxonomy: Taxonomy, by: By, approved: bool, note: str, now: datetime
) -> Outcome:
    require_role(by, STAFF, "decide on an extension")
    pending = case.extension or {}
    if pending.get("state") != "pending" or not time_limits.awaiting(case.state, "resolve"):
        raise ExtensionNotPending(case.id)
    until = pending["until"]
    decided = noted(
        case, "decide_extension", now, by, note or ("approved" if approved else "refused")
    )
    changes: dict[str, Any] = {
        "extension": {**pending, "state": "approved" if approved else "refused"}
    }
    if approved:
        changes |= {
            "resolve_by": until,
            "clock_generation": case.clock_generation + 1,
            "overdue": tuple(which for which in case.overdue if which != "resolve"),
            "warned": tuple(which for which in case.warned if which != "resolve"),
        }
    decided = replace(decided, **changes)
    outcome = emit(
        case,
        decided,
        ("case.extension_decided", {"approved": approved, "until": until, "by": by.name}),
    )
    return with_timers(
        outcome, time_limits.clock(outcome.case, taxonomy.warning_share) if approved else []
    )


def fired(case: Case, payload: Mapping[str, Any], now: datetime, share: float) -> Outcome | None:
    """A timer of the case fired: do what its step says (warn, or mark the breach), then
    set the case's next timer. A timer of an older clock (the case was suspended,
    resumed, reopened, extended since) does nothing: the newer clock has its own chain."""
    if int(payload["generation"]) != case.clock_generation or case.suspended_since is not None:
        return None
    step = time_warning if payload.get("step") == "warning" else time_limit
    outcome = step(case, payload, now) or Outcome(case)
    return with_timers(outcome, time_limits.clock(outcome.case, share))


def time_warning(case: Case, payload: Mapping[str, Any], now: datetime) -> Outcome | None:
    """A warning timer fired: None when it no longer applies."""
    which = payload["which"]
    if not _timer_applies(case, payload) or which in case.warned:
        return None
    warned = replace(case, warned=(*case.warned, which))
    due_at = case.accept_by if which == "accept" else case.resolve_by
    return emit(
        case,
        warned,
        ("case.warning", {"which": which, "due_at": due_at, "share": float(payload["share"])}),
    )


def time_limit(case: Case, payload: Mapping[str, Any], now: datetime) -> Outcome | None:
    """A limit passed: the case is marked overdue and, the first time, escalated."""
    which = payload["which"]
    if not _timer_applies(case, payload):
        return None
    due_at = case.accept_by if which == "accept" else case.resolve_by
    overdue = noted(case, "overdue", now, SYSTEM_TIMER, f"{which} time limit passed")
    overdue = replace(overdue, overdue=(*case.overdue, which))
    outcome = emit(case, overdue, ("case.overdue", {"which": which, "due_at": due_at}))
    if case.timer_escalated or overdue.state not in TIMER_ESCALATES:
        return outcome
    escalated = escalate(
        replace(outcome.case, timer_escalated=True),
        next_level(case),
        f"{which} time limit passed",
        SYSTEM_TIMER,
        now,
    )
    return outcome.then(escalated)


TIMER_ESCALATES = frozenset(
    {"triaged", "dispatched", "declined", "reopened", "accepted", "escalated"}
)


def _timer_applies(case: Case, payload: Mapping[str, Any]) -> bool:
    which = payload["which"]
    return (
        int(payload["generation"]) == case.clock_generation
        and case.suspended_since is None
        and which not in case.overdue
        and time_limits.awaiting(case.state, which)
    )
