"""The actions on a case after intake: each checks the state (TRANSITIONS, domain/case.py)
and who acts, and returns an Outcome with the events of docs/events.md. Plain Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from lianxin.access.person_access import PersonAccess
from lianxin.contracts.roster import ESCALATION_LEVELS
from lianxin.privacy import mask_name, mask_phone
from services.cases.domain import time_limits
from services.cases.domain.areas import Located
from services.cases.domain.case import (
    CHECKERS,
    MAX_ABSORBED,
    MAX_FOLLOWERS,
    STAFF,
    SYSTEM_ROSTER,
    By,
    Case,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    Outcome,
    emit,
    noted,
    require,
    require_assignee,
    require_reporter_or_staff,
    require_role,
    transition,
    with_timers,
)
from services.cases.domain.hotline import order_ref, replies
from services.cases.domain.triage import Category, Taxonomy


def triage_by_hand(
    case: Case,
    taxonomy: Taxonomy,
    code: str,
    priority: str | None,
    by: By,
    now: datetime,
    located: Located | None = None,
) -> Outcome:
    """Staff triage a report nothing mapped (the manual triage queue); `located`, a place
    they picked from the community's areas, moves the case there (and to its grid) before
    it is dispatched."""
    require(case, "triage")
    require_role(by, CHECKERS, "triage a case")
    category = taxonomy.category(code)
    placed = _placed(case, located) if located is not None else {}
    priority = priority or category.priority
    timing = time_limits.limits(
        case.reported_at,
        category.limit(priority),
        _hotline_deadline(case),
        taxonomy.desk(case.community_id, category.team),
    )
    triaged = transition(
        case,
        "triage",
        now,
        by,
        note=f"{code} ({priority})",
        category=code,
        category_label=category.label,
        private=category.private,
        team=category.team,
        priority=priority,
        triage={**case.triage, "reporter": None, "keywords": [], "staff": by.person_id or by.name},
        accept_by=timing.accept_by,
        resolve_by=timing.resolve_by,
        clock_start=timing.clock_start,
        clock_generation=case.clock_generation + 1,
        **placed,
    )
    outcome = emit(case, triaged, ("case.triaged", triaged_payload(triaged, category)))
    return with_timers(outcome, time_limits.clock(outcome.case, taxonomy.warning_share))


def _placed(case: Case, located: Located) -> dict[str, Any]:
    """The fields of a case placed where `located` says: its grid, its area codes (those
    the place does not name are cleared), and the place's readable name."""
    location = {**case.location, **located.codes}
    return {"grid_id": located.grid_id, "location": location, "place": located.place}


def add_note(case: Case, by: By, note: str, attachments: tuple[str, ...], now: datetime) -> Outcome:
    """跟进记录: staff or a grid worker write what they learnt on the case's timeline, in
    any state; nothing else changes."""
    require_role(by, CHECKERS, "add a note to a case")
    return Outcome(noted(case, "note", now, by, note, attachments))


def triaged_payload(case: Case, category: Category) -> dict[str, Any]:
    """What case.triaged says besides the case's `about` block; `property_complaint` from
    the case's category, so that the estate service counts complaints about the property
    company without a copy of the taxonomy."""
    return {
        "property_complaint": category.property_complaint,
        "location": location_payload(case),
        "place": case.masked_place,
        "category_label": dict(case.category_label),
        "description": case.masked_description,
        "accept_by": case.accept_by,
        "resolve_by": case.resolve_by,
        "triage": dict(case.triage),
    }


def location_payload(case: Case) -> dict[str, Any]:
    """Where the case is, as events carry it: a phone number a resident typed into the
    address is masked like one in the description."""
    location = {
        key: case.location.get(key)
        for key in ("estate_code", "estate", "building", "unit", "address", "lat", "lon")
    }
    if location["address"]:
        location["address"] = mask_phone(location["address"])
    return location


def dispatch(case: Case, offer: Mapping[str, Any], now: datetime) -> Outcome:
    """Roster offered the case to the volunteer on duty. Staff who assigned it by hand
    have the last word: a roster offer for that case changes nothing. The offer the case
    already holds is the same dispatch, however many events carry it (offer ids are
    roster's case:round:attempt), so a second copy under a new event id changes nothing."""
    if case.state == "dispatched" and case.offer_id in (None, offer["offer_id"]):
        raise InvalidTransition(case.id, case.state, "dispatch")
    name = offer["display_name"]
    dispatched = transition(
        case,
        "dispatch",
        now,
        SYSTEM_ROSTER,
        note=f"offered to {name} (attempt {offer.get('attempt', 1)})",
        assignee=offer["person_id"],
        assignee_name=name,
        offer_id=offer["offer_id"],
        attempt=int(offer.get("attempt") or case.attempt + 1),
        escalation=None,
    )
    return emit(
        case,
        dispatched,
        (
            "case.dispatched",
            {
                "offer_id": offer["offer_id"],
                "person_id": offer["person_id"],
                "display_name": name,
                "offer_expires_at": offer.get("expires_at"),
                "accept_by": case.accept_by,
                "resolve_by": case.resolve_by,
                "attempt": dispatched.attempt,
                "place": case.masked_place,
                "category_label": dict(case.category_label),
                "description": case.masked_description,
            },
        ),
    )


def expire(case: Case, offer: Mapping[str, Any], now: datetime) -> Outcome:
    """The volunteer let the offer lapse: the case waits for roster's next candidate. An
    expiry of an offer the case no longer holds changes nothing."""
    if case.offer_id != offer["offer_id"]:
        raise InvalidTransition(case.id, case.state, "expire")
    expired = transition(
        case,
        "expire",
        now,
        SYSTEM_ROSTER,
        note=f"offer to {case.assignee_name} expired",
        assignee=None,
        assignee_name=None,
        offer_id=None,
    )
    return Outcome(expired)


def escalate(
    case: Case,
    level: str,
    reason: str,
    by: By,
    now: datetime,
    step: int | None = None,
    target: Mapping[str, Any] | None = None,
) -> Outcome:
    keeps_assignee = case.state == "accepted"
    escalated = transition(
        case,
        "escalate",
        now,
        by,
        note=f"{level}: {reason}",
        escalation={"level": level, "step": step, "reason": reason, "target": dict(target or {})},
        **({} if keeps_assignee else {"assignee": None, "assignee_name": None, "offer_id": None}),
    )
    return emit(
        case,
        escalated,
        (
            "case.escalated",
            {
                "level": level,
                "step": step if step is not None else ESCALATION_LEVELS.index(level) + 1,
                "reason": reason,
                "target": _target(target),
            },
        ),
    )


def _target(target: Mapping[str, Any] | None) -> dict[str, Any]:
    target = target or {}
    return {key: target.get(key) for key in ("person_id", "display_name", "department")}


def next_level(case: Case) -> str:
    current = (case.escalation or {}).get("level")
    if current not in ESCALATION_LEVELS:
        return ESCALATION_LEVELS[0]
    return ESCALATION_LEVELS[min(ESCALATION_LEVELS.index(current) + 1, len(ESCALATION_LEVELS) - 1)]


def assign(
    case: Case, person: PersonAccess | None, display_name: str, note: str, by: By, now: datetime
) -> Outcome:
    """Staff give the case to a person of their choosing, an active member of the case's
    community; that person accepts it as usual."""
    require(case, "assign")
    require_role(by, STAFF, "assign a case")
    if person is None or not person.active or person.community_id != case.community_id:
        raise InvalidRequest("person_id", "No active person of this community has this id.")
    person_id = person.person_id
    name = mask_name(display_name)
    assigned = transition(
        case,
        "assign",
        now,
        by,
        note=note or f"assigned to {name}",
        assignee=person_id,
        assignee_name=name,
        offer_id=None,
        escalation=None,
    )
    return emit(
        case,
        assigned,
        ("case.assigned", {"person_id": person_id, "display_name": name, "by": by.name}),
    )


def accept(case: Case, by: By, now: datetime, note: str = "") -> Outcome:
    require_assignee(case, by, "accept")
    accepted = transition(case, "accept", now, by, note=note, accepted_at=now)
    return emit(
        case,
        accepted,
        (
            "case.accepted",
            {
                "person_id": by.person_id,
                "offer_id": case.offer_id,
                "reported_at": case.reported_at,
                "accepted_at": now,
            },
        ),
    )


def decline(case: Case, by: By, reason: str, now: datetime) -> Outcome:
    require_assignee(case, by, "decline")
    declined = transition(
        case,
        "decline",
        now,
        by,
        note=reason,
        assignee=None,
        assignee_name=None,
        offer_id=None,
    )
    return emit(
        case,
        declined,
        ("case.declined", {"person_id": by.person_id, "offer_id": case.offer_id, "reason": reason}),
    )


def resolve(
    case: Case, by: By, resolution: str, hours: float, attachments: tuple[str, ...], now: datetime
) -> Outcome:
    require_assignee(case, by, "resolve")
    resolved = transition(
        case,
        "resolve",
        now,
        by,
        note=resolution,
        attachments=attachments,
        resolution=resolution,
        resolved_by=by.person_id,
        resolved_at=now,
        volunteer_hours=hours,
        suspended_since=None,
        suspension_reason=None,
    )
    return emit(
        case,
        resolved,
        (
            "case.resolved",
            {
                "person_id": by.person_id,
                "resolution": mask_phone(resolution),
                "reported_at": case.reported_at,
                "accepted_at": case.accepted_at,
                "resolved_at": now,
                "on_time": on_time(case, now),
                "first_time": case.reopen_count == 0,
            },
        ),
    )


def on_time(case: Case, resolved_at: datetime) -> bool:
    return case.resolve_by is None or resolved_at <= case.resolve_by


def verify(case: Case, by: By, note: str, now: datetime) -> Outcome:
    """核查 → 结案: someone other than the assignee checks the work and closes the case."""
    require(case, "verify")
    require_role(by, CHECKERS, "verify and close a case")
    if by.person_id is not None and by.person_id == case.resolved_by:
        raise NotPermitted("Whoever resolved a case may not verify it: someone else checks.")
    closed = transition(case, "verify", now, by, note=note, closed_at=now)
    outcome = emit(
        case,
        closed,
        (
            "case.closed",
            {
                "closed_at": now,
                "verified_by": by.person_id or by.name,
                "reported_at": case.reported_at,
                "resolved_at": case.resolved_at,
                "on_time": on_time(case, case.resolved_at or now),
            },
        ),
    )
    return replies(outcome, "closed", result=mask_phone(case.resolution or note))


def rate(case: Case, by: By, rating: int, comment: str, now: datetime) -> Outcome:
    """回访: the resident's rating, through the channel that reported it."""
    require(case, "rate")
    require_reporter_or_staff(case, by, "rate the case")
    rated = transition(
        case, "rate", now, by, note=f"{rating}/5", rating=rating, rating_comment=comment or None
    )
    outcome = emit(
        case,
        rated,
        (
            "case.rated",
            {"rating": rating, "satisfied": rating >= 4, "comment": mask_phone(comment or "")},
        ),
    )
    return replies(outcome, "closed", result=mask_phone(case.resolution or ""), rating=rating)


def reopen(case: Case, taxonomy: Taxonomy, by: By, reason: str, now: datetime) -> Outcome:
    """重办: the work did not hold. The limits start again from now, and the hours the
    resolver was credited are reversed by roster."""
    require(case, "reopen")
    require_role(by, STAFF, "reopen a case")
    category = taxonomy.category(case.category)
    timing = time_limits.limits(
        now, category.limit(case.priority), None, taxonomy.desk(case.community_id, case.team)
    )
    reopened = transition(
        case,
        "reopen",
        now,
        by,
        note=reason,
        reopen_count=case.reopen_count + 1,
        assignee=None,
        assignee_name=None,
        offer_id=None,
        accepted_at=None,
        resolved_at=None,
        closed_at=None,
        accept_by=timing.accept_by,
        resolve_by=timing.resolve_by,
        clock_start=timing.clock_start,
        clock_generation=case.clock_generation + 1,
        overdue=(),
        warned=(),
        timer_escalated=False,
        extension=None,
    )
    outcome = emit(
        case,
        reopened,
        (
            "case.reopened",
            {
                "reason": reason,
                "reopen_count": reopened.reopen_count,
                "by": by.name,
                "person_id": case.resolved_by,
                "accept_by": timing.accept_by,
                "resolve_by": timing.resolve_by,
            },
        ),
    )
    return with_timers(outcome, time_limits.clock(outcome.case, taxonomy.warning_share))


def reject(case: Case, by: By, reason: str, now: datetime) -> Outcome:
    """Out of jurisdiction or not a case: returned to the hotline (退单) or the reporter."""
    require(case, "reject")
    require_role(by, STAFF, "reject or return a case")
    returned_to = "hotline" if case.hotline else "reporter"
    rejected = transition(case, "reject", now, by, note=reason)
    outcome = emit(
        case, rejected, ("case.rejected", {"reason": reason, "returned_to": returned_to})
    )
    return replies(outcome, "returned", reason=reason)


def merge(case: Case, into: Case, by: By, now: datetime) -> Outcome:
    """The report is a duplicate of `into`, an open case: its reporter follows that one."""
    require(case, "merge")
    if into.id == case.id or not into.open or into.community_id != case.community_id:
        raise InvalidTransition(case.id, case.state, "merge")
    merged = transition(
        case,
        "merge",
        now,
        by,
        note=f"duplicate of {into.number}",
        merged_into={"case_id": into.id, "number": into.number},
    )
    return emit(
        case, merged, ("case.merged", {"into_case_id": into.id, "into_number": into.number})
    )


def absorb(original: Case, duplicate: Case, now: datetime) -> Case:
    """The open case takes note of a duplicate report; a hotline order among them is
    answered when this case is (up to MAX_FOLLOWERS of them). Idempotent by the
    duplicate's id: a merge retried after the open case took note of it (and before the
    duplicate's own write) changes nothing, so no count or hotline reply doubles."""
    if duplicate.id in original.absorbed:
        return original
    followers = original.followers
    ref = order_ref(duplicate) if duplicate.hotline else None
    if ref is not None and len(followers) < MAX_FOLLOWERS and not _follows(followers, ref):
        followers = (*followers, ref)
    noted_case = noted(
        original, "duplicate", now, By("triage", duplicate.channel), f"also {duplicate.number}"
    )
    return replace(
        noted_case,
        duplicates=original.duplicates + 1,
        followers=followers,
        absorbed=(*original.absorbed, duplicate.id)[-MAX_ABSORBED:],
    )


def _follows(followers: tuple[Mapping[str, str], ...], ref: Mapping[str, str]) -> bool:
    order = (ref["hotline_id"], ref["order_no"])
    return any((known["hotline_id"], known["order_no"]) == order for known in followers)


def withdraw(case: Case, by: By, reason: str, now: datetime) -> Outcome:
    require(case, "withdraw")
    require_reporter_or_staff(case, by, "withdraw the case")
    withdrawn = transition(
        case, "withdraw", now, by, note=reason, suspended_since=None, suspension_reason=None
    )
    return emit(case, withdrawn, ("case.withdrawn", {"by": by.name}))


def _hotline_deadline(case: Case) -> datetime | None:
    return (case.hotline or {}).get("deadline")
