"""A dispute's sessions at the desk (调解会): one or more, each recorded once it was held —
when (inside one of the desk's sessions, not on a holiday, not still to come), who came
(the parties by the ids the case gave them, the mediators by their person ids, each an
active person of the case's community) and a short note kept on the case alone. An
outcome is recorded only after a session was held (domain/mediation.py). Plain Python.

A dispute brought to the desk in person is often entered afterwards, so a session may
be recorded for a time before the report — but not more than MAX_BEHIND back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from lianxin.access.person_access import PersonAccess
from lianxin.contracts.calendars import DeskCalendar
from services.cases.domain.appointments import NoDesk, local_span, require_desk_hand, sessions_text
from services.cases.domain.case import (
    WORKING,
    By,
    Case,
    InvalidRequest,
    InvalidTransition,
    Outcome,
    emit,
    noted,
)

ACTION = "session"
MAX_SESSIONS = 20  # more than this is no longer mediation but a file to hand on
MAX_BEHIND = timedelta(days=30)  # a session further back is a typing slip


def record_session(
    case: Case,
    desk: DeskCalendar | None,
    by: By,
    held_at: datetime,
    minutes: int,
    attended: Sequence[str],
    mediators: Sequence[str],
    note: str,
    person: Callable[[str], PersonAccess | None],
    now: datetime,
) -> Outcome:
    """One session more (S1, S2, ...), on the case and its timeline; the event
    `case.mediation_session` tells how many came, never who or what was said."""
    if desk is None:
        raise NoDesk(case)
    if case.state not in WORKING:
        raise InvalidTransition(case.id, case.state, ACTION)
    require_desk_hand(case, by, "record its sessions")
    if len(case.sessions) >= MAX_SESSIONS:
        raise InvalidRequest("held_at", f"A dispute has at most {MAX_SESSIONS} sessions.")
    ends_at = _held_span(desk, held_at, minutes, now)
    parties = _parties_present(case, attended)
    _require_mediators(case, mediators, person)
    session = {
        "id": f"S{len(case.sessions) + 1}",
        "held_at": held_at,
        "ends_at": ends_at,
        "parties": list(parties),
        "mediators": list(dict.fromkeys(mediators)),
        "note": note,
        "by": by.name,
        "at": now,
    }
    summary = f"{session['id']} {local_span(desk, held_at, ends_at)}: "
    summary += f"{len(session['parties'])} parties, {len(session['mediators'])} mediators"
    moved = replace(noted(case, ACTION, now, by, summary), sessions=(*case.sessions, session))
    return emit(
        case,
        moved,
        (
            "case.mediation_session",
            {
                "session": session["id"],
                "held_at": held_at,
                "parties_present": len(session["parties"]),
                "mediators_present": len(session["mediators"]),
                "by": by.name,
            },
        ),
    )


def _held_span(desk: DeskCalendar, held_at: datetime, minutes: int, now: datetime) -> datetime:
    """Its end, once its time is checked: begun already, not too long ago, in a session."""
    if held_at > now:
        raise InvalidRequest("held_at", "A session is recorded once it was held, not before.")
    if held_at < now - MAX_BEHIND:
        raise InvalidRequest("held_at", "A session is recorded within 30 days of it.")
    ends_at = held_at + timedelta(minutes=minutes)
    if desk.opening_holding(held_at, ends_at) is None:
        raise InvalidRequest("held_at", f"Outside the desk's sessions: {sessions_text(desk)}.")
    return ends_at


def _parties_present(case: Case, attended: Sequence[str]) -> list[str]:
    known = [party["id"] for party in case.parties]
    unknown = sorted(set(attended) - set(known))
    if unknown:
        raise InvalidRequest("parties", f"No party {', '.join(unknown)} on this case.")
    if not attended:
        raise InvalidRequest("parties", "A session is held with at least one party present.")
    return [party_id for party_id in known if party_id in attended]


def _require_mediators(
    case: Case, mediators: Sequence[str], person: Callable[[str], PersonAccess | None]
) -> None:
    if not mediators:
        raise InvalidRequest("mediators", "A session names at least one mediator present.")
    for person_id in mediators:
        found = person(person_id)
        if found is None or not found.active or found.community_id != case.community_id:
            raise InvalidRequest("mediators", f"No active person {person_id} of this community.")


def held(case: Case) -> bool:
    """Whether a session was held: an outcome needs one."""
    return bool(case.sessions)
