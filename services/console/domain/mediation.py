"""The mediation desk's page (矛盾调处) and a dispute's desk record, as the console shows
them. Plain Python, no I/O.

The desk's calendar is the shared one (lianxin/contracts/calendars.py): the times an
appointment is offered at are the starts of the desk's sessions to come (every half hour
while an hour is left), holidays skipped; a session is recorded at one of the sessions
held in the last 30 days. Cases checks both again: the console only offers what fits.
The page sorts a community's disputes into what the desk has to do next — those waiting
for a session, the appointments by session, the outcomes due, the follow-ups due.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from lianxin.contracts.calendars import DeskCalendar, NoSession, Opening

OFFERED_SESSIONS = 4  # an appointment is offered in the desk's next four sessions
SLOT = timedelta(minutes=30)
SLOT_LENGTH = timedelta(hours=1)  # an appointment or a session lasts an hour unless said
RECORDABLE = timedelta(days=30)  # as cases: a session is recorded within 30 days of it
WORKING = frozenset({"triaged", "dispatched", "declined", "escalated", "accepted", "reopened"})
ACTIONS = ("appointment", "party", "session", "outcome", "follow_up")
# the cases API's path of each action on a case
CASES_PATHS = {
    "appointment": "appointment",
    "party": "parties",
    "session": "sessions",
    "outcome": "outcome",
    "follow_up": "outcome/follow-up",
}


@dataclass(frozen=True)
class Slot:
    """A time offered: its instant (what the form sends) and the opening it lies in."""

    at: datetime
    opening: Opening


def appointment_slots(desk: DeskCalendar, now: datetime) -> list[Slot]:
    """The times an appointment may be set at: in the desk's next sessions, to come."""
    return [slot for opening in _openings(desk, now) for slot in _slots(opening) if slot.at > now]


def session_slots(desk: DeskCalendar, now: datetime) -> list[Slot]:
    """The times a session held may be recorded at: the desk's sessions begun in the last
    30 days, latest first."""
    since = now - RECORDABLE
    held = []
    try:
        for opening in desk.openings(since):
            if opening.opens > now:
                break
            held += [slot for slot in _slots(opening) if since <= slot.at <= now]
    except NoSession:
        pass
    return sorted(held, key=lambda slot: slot.at, reverse=True)


def _openings(desk: DeskCalendar, now: datetime) -> list[Opening]:
    try:
        return list(islice(desk.openings(now), OFFERED_SESSIONS))
    except NoSession:
        return []


def _slots(opening: Opening) -> list[Slot]:
    found, at = [], opening.opens
    while at + SLOT_LENGTH <= opening.closes:
        found.append(Slot(at, opening))
        at += SLOT
    return found


def available(role: str, case: Mapping[str, Any], person_id: str) -> list[str]:
    """The desk's forms the person may use on the dispute now, as cases would allow
    them: staff and grid leaders, or the member who accepted it, while it is worked on;
    the follow-up once an outcome is recorded, by any of the community's officials."""
    mediation = case.get("mediation")
    working = case.get("state") in WORKING
    hand = role in ("staff", "grid_leader") or (
        case.get("assignee") == person_id and case.get("state") == "accepted"
    )
    forms = ["appointment", "party", "session"] if working and hand else []
    if working and hand and mediation is None and case.get("sessions"):
        forms.append("outcome")
    if mediation and not mediation.get("followed_up") and case.get("state") != "withdrawn":
        forms.append("follow_up")
    return forms


@dataclass(frozen=True)
class DeskBoard:
    """The desk page's lists, each in the order the desk takes them."""

    waiting: list[Mapping[str, Any]]  # no appointment to come, no outcome: the next session
    appointments: list[tuple[Opening, list[Mapping[str, Any]]]]  # by session, soonest first
    outcomes_due: list[Mapping[str, Any]]  # a session held, no outcome yet
    follow_ups_due: list[Mapping[str, Any]]  # an outcome whose follow-up is not recorded


def desk_board(
    desk: DeskCalendar, disputes: Iterable[Mapping[str, Any]], now: datetime
) -> DeskBoard:
    """The community's disputes sorted into what the desk has to do next."""
    waiting, outcomes, follow_ups = [], [], []
    by_session: dict[datetime, tuple[Opening, list[Mapping[str, Any]]]] = {}
    for case in disputes:
        mediation, appointment = case.get("mediation"), case.get("appointment") or {}
        starts = _instant(appointment.get("starts_at"))
        if mediation is not None:
            if not mediation.get("followed_up") and case.get("state") != "withdrawn":
                follow_ups.append(case)
        elif case.get("state") not in WORKING:
            continue
        elif case.get("sessions"):
            outcomes.append(case)
        elif starts is not None and starts > now:
            opening = desk.opening_holding(starts, starts) or Opening(starts, starts)
            by_session.setdefault(opening.opens, (opening, []))[1].append(case)
        else:
            waiting.append(case)
    return DeskBoard(
        waiting=sorted(waiting, key=lambda case: case["reported_at"]),
        appointments=[by_session[key] for key in sorted(by_session)],
        outcomes_due=sorted(outcomes, key=lambda case: case["reported_at"]),
        follow_ups_due=sorted(follow_ups, key=_follow_up_order),
    )


def overdue_follow_up(case: Mapping[str, Any], now: datetime) -> bool:
    due = _instant((case.get("mediation") or {}).get("follow_up_due"))
    return due is not None and due < now


def _follow_up_order(case: Mapping[str, Any]) -> tuple[bool, str]:
    """Agreements' visits by their day, then the referrals awaiting their answer."""
    due = (case.get("mediation") or {}).get("follow_up_due")
    return due is None, str(due or case["reported_at"])


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def signatories(text: str) -> list[str]:
    """Who signed, as staff type them: names separated by commas, 、 or new lines."""
    for mark in ("，", "、", "\n", ";", "；"):
        text = text.replace(mark, ",")
    return [name.strip() for name in text.split(",") if name.strip()]
