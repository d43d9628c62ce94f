"""An appointment at a desk (矛盾调处): staff, a grid leader, or the desk member who took
the dispute set when the parties come, inside one of the desk's sessions — never outside
its hours, on a holiday or in the past. Setting it again moves it. Plain Python.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from lianxin.contracts.calendars import WEEKDAYS, DeskCalendar
from lianxin.privacy import mask_phone
from services.cases.domain.case import (
    STAFF,
    WORKING,
    By,
    Case,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    Outcome,
    emit,
    noted,
)

ACTION = "appointment"
MAX_AHEAD = timedelta(days=180)  # a date further out is a typing slip, not a plan


class NoDesk(Exception):
    """The case's team keeps no desk hours: it takes no appointment (409)."""

    def __init__(self, case: Case):
        super().__init__(
            f"Case {case.id} is not a desk's case: its team {case.team} keeps no hours."
        )


def set_appointment(
    case: Case,
    desk: DeskCalendar | None,
    by: By,
    starts_at: datetime,
    minutes: int,
    venue: str,
    now: datetime,
) -> Outcome:
    """The appointment, checked against the desk's calendar; on the timeline and in
    `case.appointment_set`. A case being worked on takes one; a new one replaces it."""
    if desk is None:
        raise NoDesk(case)
    if case.state not in WORKING:
        raise InvalidTransition(case.id, case.state, ACTION)
    require_desk_hand(case, by, "set its appointment")
    if starts_at <= now:
        raise InvalidRequest("starts_at", "An appointment is set for a time still to come.")
    if starts_at > now + MAX_AHEAD:
        raise InvalidRequest("starts_at", "An appointment is set at most 180 days ahead.")
    ends_at = starts_at + timedelta(minutes=minutes)
    if desk.opening_holding(starts_at, ends_at) is None:
        raise InvalidRequest("starts_at", f"Outside the desk's sessions: {sessions_text(desk)}.")
    appointment = {"starts_at": starts_at, "ends_at": ends_at, "venue": venue, "by": by.name}
    note = f"{local_span(desk, starts_at, ends_at)} {venue}".strip()
    moved = replace(noted(case, ACTION, now, by, note), appointment=appointment)
    previous = (case.appointment or {}).get("starts_at")
    return emit(
        case,
        moved,
        (
            "case.appointment_set",
            {
                "starts_at": starts_at,
                "ends_at": ends_at,
                "venue": mask_phone(venue),
                "by": by.name,
                "previous_starts_at": previous,
            },
        ),
    )


def require_desk_hand(case: Case, by: By, what: str) -> None:
    """Staff and grid leaders, or the desk member who accepted the case."""
    if by.may(STAFF):
        return
    if by.person_id is not None and by.person_id == case.assignee and case.state == "accepted":
        return
    raise NotPermitted(f"Only staff, a grid leader or the member who took the case {what}.")


def local_span(desk: DeskCalendar, starts_at: datetime, ends_at: datetime) -> str:
    """`2026-12-11 09:30–10:30 (Asia/Shanghai)`: as the community reads it."""
    start, end = starts_at.astimezone(desk.zone), ends_at.astimezone(desk.zone)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({desk.zone.key})"


def sessions_text(desk: DeskCalendar) -> str:
    """The desk's weekly hours, e.g. `FR 09:00–12:00, FR 14:00–17:00 (Asia/Shanghai),
    not on holidays`."""
    hours = ", ".join(
        f"{WEEKDAYS[s.weekday]} {s.opens:%H:%M}–{s.closes:%H:%M}" for s in desk.sessions
    )
    return f"{hours} ({desk.zone.key}), not on holidays"
