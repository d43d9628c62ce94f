"""A dispute's outcome at the desk (调解结果): an agreement reached — its text, who signed,
and a follow-up visit due thirty days on — or none, and the dispute referred on (to
people's mediation, a court or a department). Recorded once, after a session was held
(domain/desk_sessions.py), by staff, a grid leader or the member who took the case; the
case then resolves or is escalated as any other. Then, once, its follow-up: what the
visit found, or what the referral answered, and when. An agreement's visit not made by
its day reminds the assignee once (a deadline, `FOLLOW_UP_TIMER`). Plain Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from lianxin.contracts.calendars import DeskCalendar
from lianxin.privacy import mask_name
from services.cases.domain.appointments import NoDesk, require_desk_hand
from services.cases.domain.case import (
    CHECKERS,
    FINAL,
    SYSTEM_TIMER,
    WORKING,
    By,
    Case,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    Outcome,
    Timer,
    emit,
    noted,
    with_timers,
)
from services.cases.domain.desk_sessions import held

ACTION = "outcome"
RESULTS = ("agreement", "referral")
REFERRALS = ("peoples_mediation", "court", "department")
FOLLOW_UP_TIMER = "case.follow_up"  # the deadline of an agreement's visit


class NoSessionHeld(Exception):
    """An outcome before any session with the parties: 409."""

    def __init__(self, case: Case):
        super().__init__(f"Case {case.id}: record a session held with the parties first.")


def record_outcome(
    case: Case,
    desk: DeskCalendar | None,
    by: By,
    result: str,
    now: datetime,
    agreement: str = "",
    signed_by: Sequence[str] = (),
    referred_to: str | None = None,
    department: str = "",
    *,
    follow_up_after: timedelta,
) -> Outcome:
    """The outcome, once: on the case (`mediation`), its timeline and in
    `case.mediation_outcome`, which carries no agreement text and no name. An agreement
    sets the deadline of its follow-up visit."""
    if desk is None:
        raise NoDesk(case)
    if case.state not in WORKING or case.mediation is not None:
        raise InvalidTransition(case.id, case.state, ACTION)
    require_desk_hand(case, by, "record its outcome")
    if not held(case):
        raise NoSessionHeld(case)
    if result == "agreement":
        mediation = _agreement(agreement, signed_by, now + follow_up_after)
        note = f"agreement, signed by {len(mediation['signed_by'])}"
    else:
        mediation = _referral(referred_to, department)
        note = f"referral: {referred_to}" + (f" ({department})" if department else "")
    mediation |= {"result": result, "by": by.name, "at": now}
    moved = replace(noted(case, ACTION, now, by, note), mediation=mediation)
    due = mediation.get("follow_up_due")
    outcome = emit(
        case,
        moved,
        (
            "case.mediation_outcome",
            {
                "result": result,
                "signatories": len(mediation.get("signed_by", ())),
                "follow_up_due": mediation.get("follow_up_due"),
                "referred_to": mediation.get("referred_to"),
                "by": by.name,
            },
        ),
    )
    return with_timers(outcome, [Timer(FOLLOW_UP_TIMER, due, {})] if due else [])


def _agreement(text: str, signed_by: Sequence[str], due: datetime) -> dict:
    if not text.strip():
        raise InvalidRequest("agreement", "An agreement reached says what was agreed.")
    if not signed_by:
        raise InvalidRequest("signed_by", "An agreement names who signed it.")
    return {
        "agreement": text,
        "signed_by": list(signed_by),
        "follow_up_due": due,
    }


def _referral(referred_to: str | None, department: str) -> dict:
    if referred_to not in REFERRALS:
        raise InvalidRequest("referred_to", f"A referral goes to one of {', '.join(REFERRALS)}.")
    if referred_to == "department" and not department.strip():
        raise InvalidRequest("department", "A referral to a department names it.")
    return {"referred_to": referred_to, "department": department or None}


def shown_signatories(names: Sequence[str], unmasked: bool) -> list[str]:
    """Who signed, as the API shows them: masked (王**) but to an admin key."""
    return list(names) if unmasked else [mask_name(name) for name in names]


FOLLOW_UP = "follow_up"


def follow_up(
    case: Case, by: By, note: str, now: datetime, happened_at: datetime | None = None
) -> Outcome:
    """What came after the outcome, once: an agreement's follow-up visit (does it hold?)
    or a referral's answer, with when it happened (by default now: not still to come, not
    before the outcome). Also on a case closed since, as the visit comes a month on;
    by the community's officials (the visit is a grid worker's round) or whoever had it."""
    mediation = case.mediation
    if mediation is None or mediation.get("followed_up") or case.state in FINAL:
        raise InvalidTransition(case.id, case.state, FOLLOW_UP)
    if not by.may(CHECKERS) and (by.person_id is None or by.person_id != case.assignee):
        raise NotPermitted("Only the community's officials or the case's member follow it up.")
    if not note.strip():
        raise InvalidRequest("note", "Say what the visit found, or what the referral answered.")
    happened_at = happened_at or now
    if not mediation["at"] <= happened_at <= now:
        raise InvalidRequest("happened_at", "Between the outcome and now.")
    due = mediation.get("follow_up_due")
    followed = {"note": note, "by": by.name, "at": now, "happened_at": happened_at}
    moved = replace(
        noted(case, FOLLOW_UP, now, by, note), mediation={**mediation, "followed_up": followed}
    )
    return emit(
        case,
        moved,
        (
            "case.mediation_followed_up",
            {
                "result": mediation["result"],
                "on_time": due is None or happened_at <= due,
                "by": by.name,
            },
        ),
    )


def follow_up_due(case: Case, now: datetime) -> Outcome | None:
    """An agreement's follow-up visit is due: unless it was made (or the case withdrawn
    since), the assignee is reminded once by `case.overdue` (which `follow_up`), and the
    case remembers it so that a redelivered deadline reminds no one again."""
    mediation = case.mediation or {}
    due = mediation.get("follow_up_due")
    if due is None or mediation.get("followed_up") or mediation.get("reminded_at"):
        return None
    if case.state in FINAL:
        return None
    reminded = replace(
        noted(case, "follow_up_due", now, SYSTEM_TIMER, "follow-up visit due"),
        mediation={**mediation, "reminded_at": now},
    )
    return emit(case, reminded, ("case.overdue", {"which": FOLLOW_UP, "due_at": due}))
