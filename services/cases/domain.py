"""The case and its lifecycle. Plain Python: no nameko, no pymongo.

The lifecycle follows hotline practice (受理 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案 → 回访)
and is held as a table so it can be read at a glance and tested exhaustively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

TRANSITIONS: dict[tuple[str, str], str] = {
    ("reported", "triage"): "triaged",
    ("reported", "reject"): "rejected",
    ("reported", "merge"): "merged",
    ("triaged", "dispatch"): "dispatched",
    ("triaged", "escalate"): "escalated",
    ("dispatched", "dispatch"): "dispatched",  # next candidate after a decline or timeout
    ("dispatched", "accept"): "accepted",
    ("dispatched", "escalate"): "escalated",
    ("escalated", "dispatch"): "dispatched",
    ("escalated", "escalate"): "escalated",  # up a level: grid leader → staff → department
    ("accepted", "resolve"): "resolved",
    ("resolved", "verify"): "closed",
    ("resolved", "reopen"): "reopened",
    ("closed", "reopen"): "reopened",
    ("closed", "rate"): "rated",
    ("reopened", "dispatch"): "dispatched",
}
STATES = frozenset(state for pair in TRANSITIONS for state in (pair[0], TRANSITIONS[pair]))
ACTIONS = frozenset(action for _, action in TRANSITIONS)


class InvalidTransition(Exception):
    def __init__(self, case_id: str, state: str, action: str):
        super().__init__(f"Case {case_id} is {state}; it cannot be {action}ed now.")
        self.state = state
        self.action = action

    def details(self) -> dict[str, Any]:
        return {"state": self.state, "action": self.action}


class NotAssignee(Exception):
    def __init__(self, case_id: str):
        super().__init__(f"Case {case_id} is offered to someone else.")


class CaseNotFound(Exception):
    def __init__(self, case_id: str):
        super().__init__(f"No case {case_id}.")


class UnknownCategory(Exception):
    def __init__(self, code: str):
        super().__init__(f"Unknown category {code}.")
        self.code = code

    def details(self) -> dict[str, Any]:
        return {"fields": {"category": [f"Unknown category {self.code}."]}}


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    team: str
    priority: str
    accept_within: timedelta
    resolve_within: timedelta
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    categories: Mapping[str, Category]
    fallback: str

    def classify(self, description: str, hint: str | None) -> Category:
        """A reporter's category wins; otherwise the category whose keywords say the most.

        The score is the total length of the keywords found, so the specific wins over the
        vague: "消防通道被车堵了" is a blocked fire lane, not a blocked drain.
        """
        if hint:
            if hint not in self.categories:
                raise UnknownCategory(hint)
            return self.categories[hint]
        text = description.lower()
        best, best_score = self.categories[self.fallback], 0
        for category in self.categories.values():
            score = sum(len(word) for word in category.keywords if _mentions(text, word))
            if score > best_score:
                best, best_score = category, score
        return best


def _mentions(text: str, keyword: str) -> bool:
    """CJK keywords match anywhere; Latin ones only as whole words ("light", not "delight")."""
    if keyword.isascii():
        return re.search(rf"\b{re.escape(keyword)}\b", text) is not None
    return keyword in text


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    state: str
    by: str
    note: str = ""


@dataclass(frozen=True)
class Case:
    id: str
    state: str
    community_id: str
    grid_id: str
    description: str
    channel: str
    reported_at: datetime
    location: Mapping[str, Any] = field(default_factory=dict)
    reporter: Mapping[str, Any] = field(default_factory=dict)
    category: str = ""
    team: str = ""
    priority: str = ""
    accept_by: datetime | None = None
    resolve_by: datetime | None = None
    assignee: str | None = None
    assignee_name: str | None = None
    offer_id: str | None = None
    resolution: str | None = None
    volunteer_hours: float = 0.0
    timeline: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Change:
    """The case after an action, and the facts (event type, payload) it caused."""

    case: Case
    facts: tuple[tuple[str, dict[str, Any]], ...]


def transition(case: Case, action: str, at: datetime, by: str, note: str = "", **changes) -> Case:
    target = TRANSITIONS.get((case.state, action))
    if target is None:
        raise InvalidTransition(case.id, case.state, action)
    step = Step(at=at, action=action, state=target, by=by, note=note)
    return replace(case, state=target, timeline=(*case.timeline, step), **changes)


def report(case_id: str, intake: Mapping[str, Any], taxonomy: Taxonomy, at: datetime) -> Change:
    """Record a new report and triage it at once: category → team, priority and deadlines."""
    category = taxonomy.classify(intake["description"], intake.get("category"))
    case = Case(
        id=case_id,
        state="reported",
        community_id=intake["community_id"],
        grid_id=intake["location"]["grid_id"],
        description=intake["description"],
        channel=intake["channel"],
        reported_at=at,
        location=dict(intake["location"]),
        reporter=dict(intake.get("reporter") or {}),
        timeline=(Step(at=at, action="report", state="reported", by=intake["channel"]),),
    )
    triaged = transition(
        case,
        "triage",
        at,
        by="triage",
        category=category.code,
        team=category.team,
        priority=category.priority,
        accept_by=at + category.accept_within,
        resolve_by=at + category.resolve_within,
    )
    return Change(
        triaged,
        (("case.reported", reported_fact(triaged)), ("case.triaged", triaged_fact(triaged))),
    )


def dispatch(case: Case, offer: Mapping[str, Any], at: datetime) -> Change:
    dispatched = transition(
        case,
        "dispatch",
        at,
        by="roster",
        assignee=offer["person_id"],
        assignee_name=offer["display_name"],
        offer_id=offer["offer_id"],
        note=f"offered to {offer['display_name']}",
    )
    return Change(
        dispatched,
        (
            (
                "case.dispatched",
                {
                    **_about(dispatched),
                    "offer_id": offer["offer_id"],
                    "person_id": offer["person_id"],
                    "display_name": offer["display_name"],
                    "accept_by": dispatched.accept_by,
                },
            ),
        ),
    )


def escalate(case: Case, level: str, reason: str, at: datetime) -> Change:
    escalated = transition(case, "escalate", at, by="roster", note=f"{level}: {reason}")
    return Change(
        escalated, (("case.escalated", {**_about(escalated), "level": level, "reason": reason}),)
    )


def accept(case: Case, person_id: str, at: datetime) -> Change:
    _require_assignee(case, person_id, "accept")
    accepted = transition(case, "accept", at, by=person_id)
    return Change(accepted, (("case.accepted", {**_about(accepted), "person_id": person_id}),))


def resolve(case: Case, person_id: str, resolution: str, hours: float, at: datetime) -> Change:
    _require_assignee(case, person_id, "resolve")
    resolved = transition(
        case,
        "resolve",
        at,
        by=person_id,
        note=resolution,
        resolution=resolution,
        volunteer_hours=hours,
    )
    return Change(
        resolved,
        (
            (
                "case.resolved",
                {
                    **_about(resolved),
                    "person_id": person_id,
                    "volunteer_hours": hours,
                    "on_time": resolved.resolve_by is None or at <= resolved.resolve_by,
                },
            ),
        ),
    )


def _require_assignee(case: Case, person_id: str, action: str) -> None:
    if (case.state, action) in TRANSITIONS and case.assignee != person_id:
        raise NotAssignee(case.id)


def _about(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "community_id": case.community_id,
        "grid_id": case.grid_id,
        "category": case.category,
        "team": case.team,
        "priority": case.priority,
    }


def reported_fact(case: Case) -> dict[str, Any]:
    return {**_about(case), "channel": case.channel, "reported_at": case.reported_at}


def triaged_fact(case: Case) -> dict[str, Any]:
    return {
        **_about(case),
        "location": dict(case.location),
        "accept_by": case.accept_by,
        "resolve_by": case.resolve_by,
    }
