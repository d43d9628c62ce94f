"""Time limits (处置时限): when a case must be accepted and resolved, the early warning,
and the clock that stops while the case waits on an outside department (挂起).

Deadlines are never scanned for: each limit rides in the case's outbox as a timer
(lianxin.bus.deadlines) with the change that sets it. Every change that moves a limit
(suspension, resumption, an approved extension, a reopening) starts a new clock
generation; a timer of an older generation finds nothing to do. Plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lianxin.contracts.calendars import DeskCalendar, NoSession
from services.cases.domain.case import Case, Timer
from services.cases.domain.triage import Limit

TIMER = "case.time"  # one kind, one queue: its payload's `step` says warning or limit
WHICH = ("accept", "resolve")
AWAITING_ACCEPT = frozenset({"triaged", "dispatched", "declined", "escalated", "reopened"})
AWAITING_RESOLUTION = AWAITING_ACCEPT | {"accepted"}


@dataclass(frozen=True)
class Timing:
    """A case's limits from a start: when it must be accepted and resolved, and when its
    clock starts (the warnings are shares of the time from there)."""

    accept_by: datetime
    resolve_by: datetime
    clock_start: datetime


def limits(
    start: datetime,
    limit: Limit,
    hotline_deadline: datetime | None,
    desk: DeskCalendar | None = None,
) -> Timing:
    """The limits of a case starting at `start`. A desk's case runs on its calendar: due
    to be accepted by the end of the desk's next session, its clock starting when that
    session opens, and due to be resolved at the end of the session that closes once the
    resolve limit has run from there. A hotline's own deadline wins when earlier, and a
    case is never due to be accepted after it is due to be resolved."""
    clock_start, accept_by, resolve_by = _on_calendar(start, limit, desk) or (
        start,
        start + limit.accept,
        start + limit.resolve,
    )
    if hotline_deadline is not None and hotline_deadline < resolve_by:
        resolve_by = hotline_deadline
    return Timing(min(accept_by, resolve_by), resolve_by, min(clock_start, resolve_by))


def _on_calendar(
    start: datetime, limit: Limit, desk: DeskCalendar | None
) -> tuple[datetime, datetime, datetime] | None:
    """A desk's case's clock start, accept-by and resolve-by; None for a team without a
    desk, or a desk whose calendar holds no session ahead (holidays only: plain limits
    are better than a report refused)."""
    if desk is None:
        return None
    try:
        session = desk.next_opening(start)
        resolve_by = desk.closing_at_or_after(session.closes + limit.resolve)
    except NoSession:
        return None
    return max(start, session.opens), session.closes, resolve_by


def awaiting(state: str, which: str) -> bool:
    return state in (AWAITING_ACCEPT if which == "accept" else AWAITING_RESOLUTION)


def timers(
    *,
    state: str,
    accept_by: datetime | None,
    resolve_by: datetime | None,
    clock_start: datetime,
    generation: int,
    overdue: tuple[str, ...],
    warned: tuple[str, ...],
    share: float,
) -> list[Timer]:
    """Every timer still to come for a case in this state, earliest first: for each limit
    still running, a warning at `share` of its time (unless given) and the limit."""
    found = []
    for which, due in (("accept", accept_by), ("resolve", resolve_by)):
        if due is None or which in overdue or not awaiting(state, which):
            continue
        payload = {"which": which, "generation": generation, "due_at": due.isoformat()}
        warn_at = clock_start + (due - clock_start) * share
        if which not in warned and warn_at < due:
            found.append(Timer(TIMER, warn_at, {**payload, "step": "warning", "share": share}))
        found.append(Timer(TIMER, due, {**payload, "step": "limit"}))
    return sorted(found, key=lambda timer: timer.due_at)


def shifted(moment: datetime | None, paused: timedelta) -> datetime | None:
    """A limit after the clock stood still for `paused`."""
    return None if moment is None else moment + paused


def clock(case: Case, share: float) -> list[Timer]:
    """The one timer to set now: the case's earliest to come (none while the clock stands
    still). Timers run as a chain, each setting the next when it fires, so a case has one
    message in the delay tiers at a time, not one per warning and limit."""
    if case.suspended_since is not None or case.clock_start is None:
        return []
    pending = timers(
        state=case.state,
        accept_by=case.accept_by,
        resolve_by=case.resolve_by,
        clock_start=case.clock_start,
        generation=case.clock_generation,
        overdue=case.overdue,
        warned=case.warned,
        share=share,
    )
    return pending[:1]
