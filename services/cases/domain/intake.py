"""A report becomes a case: recorded as reported, then triaged at once, sent to the
manual triage queue, or escalated as an emergency. Plain Python.

The same intake serves every channel (the JSON API, the hotline's work orders,
Open311): each turns its own request into a `Report` first (app/intake.py opens the case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.cases.domain import time_limits
from services.cases.domain.areas import Located
from services.cases.domain.case import (
    SYSTEM_TRIAGE,
    By,
    Case,
    Outcome,
    Step,
    emit,
    transition,
    with_timers,
)
from services.cases.domain.lifecycle import escalate, location_payload, triaged_payload
from services.cases.domain.time_limits import clock
from services.cases.domain.triage import Taxonomy, Triage

EMERGENCY_LEVEL = "community_staff"


@dataclass(frozen=True)
class Report:
    """A report as every channel hands it over, validated."""

    community_id: str
    description: str
    channel: str
    location: Mapping[str, Any]
    reporter: Mapping[str, Any] = field(default_factory=dict)
    category: str | None = None
    category_hint: str = ""  # the hotline's free-text category
    attachments: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    hotline: Mapping[str, Any] | None = None

    def contact(self) -> dict[str, Any] | None:
        """The resident's contact for progress messages, only with their consent."""
        if not self.reporter.get("consent"):
            return None
        phone, email = self.reporter.get("phone"), self.reporter.get("email")
        if not phone and not email:
            return None
        return {"phone": phone, "email": email, "consent": True}


def receive(
    case_id: str,
    number: str,
    intake: Report,
    located: Located,
    decided: Triage,
    by: By,
    now: datetime,
) -> Outcome:
    """The case as reported (受理) and its `case.reported` event. Triage has already looked
    at the report, so the event names its category (none when nothing mapped)."""
    category = decided.category
    location = {
        **{key: value for key, value in intake.location.items() if value is not None},
        **located.codes,
    }
    case = Case(
        id=case_id,
        number=number,
        state="reported",
        community_id=intake.community_id,
        grid_id=located.grid_id,
        description=intake.description,
        channel=intake.channel,
        reported_at=now,
        reported_by_key=by.key_id,
        location=location,
        place=located.place,
        reporter=dict(intake.reporter),
        attachments=intake.attachments,
        attributes=dict(intake.attributes),
        hotline=dict(intake.hotline) if intake.hotline else None,
        category=category.code if category else "",
        category_label=category.label if category else {},
        private=category.private if category else False,
        team=category.team if category else "",
        priority=(decided.priority or category.priority) if category else "",
        timeline=(
            Step(now, "report", "reported", by.name, by.channel, by.role, "", intake.attachments),
        ),
    )
    hotline = intake.hotline
    return emit(
        None,
        case,
        (
            "case.reported",
            {
                "reported_at": now,
                "location": location_payload(case),
                "description": case.masked_description,
                "hotline": (
                    {key: hotline.get(key) for key in ("hotline_id", "order_no", "deadline")}
                    if hotline
                    else None
                ),
                "contact": intake.contact(),
            },
        ),
    )


def triage(case: Case, decided: Triage, taxonomy: Taxonomy, now: datetime) -> Outcome:
    """Triage at intake: a category from the reporter or the keywords, or the manual
    triage queue; an emergency is escalated to staff at once, with the number to call."""
    emergency = (
        {"kind": decided.emergency.kind, "call": decided.emergency.call}
        if decided.emergency
        else None
    )
    if decided.category is None:
        waiting = replace(
            case, emergency=emergency, triage={"suggestions": list(decided.suggestions)}
        )
        outcome = emit(
            case,
            waiting,
            (
                "case.triage_needed",
                {
                    "description": case.masked_description,
                    "reason": "no category matched the report",
                },
            ),
        )
        return _emergency(outcome, now) if emergency else outcome
    category, priority = decided.category, decided.priority or decided.category.priority
    timing = time_limits.limits(
        case.reported_at,
        category.limit(priority),
        (case.hotline or {}).get("deadline"),
        taxonomy.desk(case.community_id, category.team),
    )
    classified = replace(
        case,
        category=category.code,
        category_label=category.label,
        private=category.private,
        team=category.team,
        priority=priority,
        triage={
            "reporter": category.code if decided.source == "reporter" else None,
            "keywords": list(decided.keywords),
            "staff": None,
        },
        emergency=emergency,
        accept_by=timing.accept_by,
        resolve_by=timing.resolve_by,
        clock_start=timing.clock_start,
        clock_generation=case.clock_generation + 1,
    )
    if emergency:
        outcome = _emergency(Outcome(classified), now)
        return with_timers(outcome, clock(outcome.case, taxonomy.warning_share))
    triaged = transition(
        classified, "triage", now, SYSTEM_TRIAGE, note=f"{category.code} ({priority})"
    )
    outcome = emit(case, triaged, ("case.triaged", triaged_payload(triaged, category)))
    return with_timers(outcome, clock(outcome.case, taxonomy.warning_share))


def _emergency(outcome: Outcome, now: datetime) -> Outcome:
    """Emergencies skip dispatch: staff are told at once and the reporter is told whom
    to call. The escalated case then runs on its time limits like any other."""
    case = outcome.case
    emergency = case.emergency or {}
    flagged = emit(
        case, case, ("case.emergency", {"kind": emergency["kind"], "call": emergency["call"]})
    )
    escalated = escalate(
        flagged.case,
        EMERGENCY_LEVEL,
        f"emergency ({emergency['kind']}): call {emergency['call']}",
        SYSTEM_TRIAGE,
        now,
    )
    return outcome.then(flagged).then(escalated)
