"""The case and its lifecycle. Plain Python: no nameko, no pymongo.

The lifecycle follows hotline practice (受理 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案 → 回访)
and is held as a table, so it can be read at a glance and tested exhaustively. Every
action returns an Outcome: the case after it, the facts (case events) it caused and
the timers it set. Who may do what is decided here too (`By`), so HTTP, the signed
action links (RPC) and the timers all obey the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from lianxin.privacy import mask_phone

TRANSITIONS: dict[tuple[str, str], str] = {
    ("reported", "triage"): "triaged",
    ("reported", "escalate"): "escalated",  # an emergency, at once
    ("reported", "reject"): "rejected",
    ("reported", "merge"): "merged",
    ("reported", "withdraw"): "withdrawn",
    ("triaged", "dispatch"): "dispatched",
    ("triaged", "assign"): "dispatched",
    ("triaged", "escalate"): "escalated",
    ("triaged", "reject"): "rejected",
    ("triaged", "merge"): "merged",
    ("triaged", "withdraw"): "withdrawn",
    ("dispatched", "accept"): "accepted",
    ("dispatched", "decline"): "declined",
    ("dispatched", "expire"): "triaged",  # the offer lapsed: roster offers the next candidate
    ("dispatched", "dispatch"): "dispatched",  # roster's next offer, met before the lapse
    ("dispatched", "assign"): "dispatched",
    ("dispatched", "escalate"): "escalated",
    ("dispatched", "reject"): "rejected",
    ("dispatched", "withdraw"): "withdrawn",
    ("declined", "dispatch"): "dispatched",
    ("declined", "assign"): "dispatched",
    ("declined", "escalate"): "escalated",
    ("declined", "reject"): "rejected",
    ("declined", "merge"): "merged",
    ("declined", "withdraw"): "withdrawn",
    ("escalated", "dispatch"): "dispatched",  # out again: the next dispatch ...
    ("escalated", "assign"): "dispatched",  # ... or staff assign someone
    ("escalated", "escalate"): "escalated",  # up a level: grid leader → staff → department
    ("escalated", "reject"): "rejected",
    ("escalated", "merge"): "merged",
    ("escalated", "withdraw"): "withdrawn",
    ("accepted", "resolve"): "resolved",
    ("accepted", "assign"): "dispatched",  # staff hand it to someone else
    ("accepted", "escalate"): "accepted",  # the grid leader is told; the assignee keeps it
    ("accepted", "withdraw"): "withdrawn",
    ("resolved", "verify"): "closed",
    ("resolved", "reopen"): "reopened",
    ("closed", "rate"): "rated",
    ("closed", "reopen"): "reopened",
    ("rated", "reopen"): "reopened",  # 重办: the resident was not satisfied
    ("reopened", "dispatch"): "dispatched",
    ("reopened", "assign"): "dispatched",
    ("reopened", "escalate"): "escalated",
    ("reopened", "withdraw"): "withdrawn",
}
STATES = frozenset(state for pair in TRANSITIONS for state in (pair[0], TRANSITIONS[pair]))
ACTIONS = frozenset(action for _, action in TRANSITIONS)
FINAL = frozenset({"rejected", "merged", "withdrawn"})
DONE = frozenset({"resolved", "closed", "rated"}) | FINAL  # no longer being worked on
WORKING = frozenset({"dispatched", "declined", "escalated", "accepted", "reopened", "triaged"})
STAFF = ("staff", "grid_leader")
CHECKERS = ("staff", "grid_leader", "grid_worker")  # verify, triage by hand
MAX_FOLLOWERS = 50  # the merged reports a case remembers (its hotline orders answer with it)
# the duplicates a case remembers having absorbed, so that a retried merge is not counted
# twice (DESIGN.md rule 4: a case keeps the few ids it applied, never an unbounded list)
MAX_ABSORBED = 200
# the Idempotency-Keys of a case's latest actions: a form sent twice, or a retry after a
# lost answer, acts once (a case keeps the few keys it applied, never an unbounded list)
MAX_REQUESTS = 20


@dataclass(frozen=True)
class Timer:
    """A deadline to schedule (lianxin.bus.deadlines): `kind` names its handler, the payload
    what it checks when it fires."""

    kind: str
    due_at: datetime
    payload: dict[str, Any]


class InvalidTransition(Exception):
    def __init__(self, case_id: str, state: str, action: str):
        super().__init__(f"Case {case_id} is {state}: '{action}' is not possible now.")
        self.state = state
        self.action = action

    def details(self) -> dict[str, Any]:
        return {"state": self.state, "action": self.action}


class NotAssignee(Exception):
    def __init__(self, case_id: str):
        super().__init__(f"Case {case_id} is not assigned to you.")


class NotPermitted(Exception):
    """The person's role (or the key) may not do this: 403."""


class InvalidRequest(Exception):
    """Input that is well-formed but does not fit the case: 400 on that field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field_name = field_name

    def details(self) -> dict[str, Any]:
        return {"fields": {self.field_name: [str(self)]}}


class RequestKeyReused(Exception):
    """An Idempotency-Key the case already applied to another action: 422."""

    def __init__(self, case_id: str, action: str):
        super().__init__(f"This Idempotency-Key was used for '{action}' on case {case_id}.")


class CaseNotFound(Exception):
    def __init__(self, case_id: str):
        super().__init__(f"No case {case_id}.")


@dataclass(frozen=True)
class By:
    """Who acts, and through what: a person (with a role), an integration's key, or the
    system itself (roster, the timer). `staff` is an admin key acting without a person;
    `reporter_of` the case whose reporter acts through their progress link
    (domain/progress.py), with no key and no account."""

    name: str
    channel: str
    person_id: str | None = None
    role: str | None = None
    key_id: str | None = None
    staff: bool = False
    reporter_of: str | None = None

    def may(self, roles: tuple[str, ...]) -> bool:
        return self.staff or (self.role in roles and self.person_id is not None)


SYSTEM_ROSTER = By("roster", "roster")
SYSTEM_TIMER = By("timer", "timer")
SYSTEM_TRIAGE = By("triage", "triage")


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    state: str
    by: str
    channel: str = ""
    role: str | None = None
    note: str = ""
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    number: str
    state: str
    community_id: str
    grid_id: str
    description: str
    channel: str
    reported_at: datetime
    reported_by_key: str | None = None
    location: Mapping[str, Any] = field(default_factory=dict)
    place: str = ""
    place_key: str | None = None  # the duplicate index entry naming this case while open
    reporter: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    hotline: Mapping[str, Any] | None = None
    category: str = ""
    category_label: Mapping[str, str] = field(default_factory=dict)
    # its category is about a household (disputes, care): no details to a group chat or
    # the public, only to the assignee and staff
    private: bool = False
    team: str = ""
    priority: str = ""
    triage: Mapping[str, Any] = field(default_factory=dict)
    emergency: Mapping[str, str] | None = None
    accept_by: datetime | None = None
    resolve_by: datetime | None = None
    clock_start: datetime | None = None
    clock_generation: int = 0
    suspended_since: datetime | None = None
    suspension_reason: str | None = None
    overdue: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()
    timer_escalated: bool = False
    escalation: Mapping[str, Any] | None = None
    extension: Mapping[str, Any] | None = None
    # a desk's appointment (domain/appointments.py): {starts_at, ends_at, place, by}
    appointment: Mapping[str, Any] | None = None
    # a desk's outcome (domain/mediation.py): an agreement or a referral, recorded once
    mediation: Mapping[str, Any] | None = None
    # a dispute's parties, each with their consent (domain/parties.py)
    parties: tuple[Mapping[str, Any], ...] = ()
    # a dispute's sessions at the desk, with who attended (domain/desk_sessions.py)
    sessions: tuple[Mapping[str, Any], ...] = ()
    assignee: str | None = None
    assignee_name: str | None = None
    offer_id: str | None = None
    attempt: int = 0
    accepted_at: datetime | None = None
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    volunteer_hours: float = 0.0
    closed_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    reopen_count: int = 0
    merged_into: Mapping[str, str] | None = None
    duplicates: int = 0
    followers: tuple[Mapping[str, str], ...] = ()  # merged hotline orders, answered with it
    absorbed: tuple[str, ...] = ()  # the latest duplicates merged into it (MAX_ABSORBED)
    requests: tuple[Mapping[str, str], ...] = ()  # {key, action} applied (MAX_REQUESTS)
    version: int = 0
    timeline: tuple[Step, ...] = ()

    @property
    def open(self) -> bool:
        return self.state not in DONE

    @property
    def masked_description(self) -> str:
        return mask_phone(self.description)

    @property
    def masked_place(self) -> str:
        """A place named from the resident's own address (a report located by a point)
        can hold what they typed there."""
        return mask_phone(self.place)


@dataclass(frozen=True)
class Outcome:
    """The case after an action, the facts (event type, payload) it caused, the timers it
    set, and whether the clock's timers must be set afresh."""

    case: Case
    facts: tuple[tuple[str, dict[str, Any]], ...] = ()
    timers: tuple[Timer, ...] = ()

    def then(self, other: Outcome) -> Outcome:
        return Outcome(other.case, (*self.facts, *other.facts), (*self.timers, *other.timers))


def transition(
    case: Case, action: str, at: datetime, by: By, note: str = "", attachments=(), **changes
) -> Case:
    target = TRANSITIONS.get((case.state, action))
    if target is None:
        raise InvalidTransition(case.id, case.state, action)
    step = Step(at, action, target, by.name, by.channel, by.role, note, tuple(attachments))
    if target in DONE:  # a case no longer worked on has no clock to stop
        changes = {"suspended_since": None, "suspension_reason": None, **changes}
    return replace(case, state=target, timeline=(*case.timeline, step), **changes)


def noted(case: Case, action: str, at: datetime, by: By, note: str = "", attachments=()) -> Case:
    """A timeline entry for something that does not change the state."""
    step = Step(at, action, case.state, by.name, by.channel, by.role, note, tuple(attachments))
    return replace(case, timeline=(*case.timeline, step))


def already_applied(case: Case, request: Mapping[str, str]) -> bool:
    """Whether the case applied this request (`{key, action}`) before: the same key names
    the same action, or it is refused (RequestKeyReused)."""
    for known in case.requests:
        if known["key"] == request["key"]:
            if known["action"] != request["action"]:
                raise RequestKeyReused(case.id, known["action"])
            return True
    return False


def remembering(case: Case, request: Mapping[str, str]) -> Case:
    """The case with `request` among the latest it applied."""
    return replace(case, requests=(*case.requests, dict(request))[-MAX_REQUESTS:])


def require(case: Case, action: str) -> None:
    if (case.state, action) not in TRANSITIONS:
        raise InvalidTransition(case.id, case.state, action)


def require_role(by: By, roles: tuple[str, ...], what: str) -> None:
    if by.person_id is None and not by.staff:
        raise NotPermitted(f"To {what}, act as a person (a person token or a person-bound key).")
    if not by.may(roles):
        raise NotPermitted(f"Only {' or '.join(roles)} may {what}.")


def require_assignee(case: Case, by: By, action: str) -> None:
    require(case, action)
    if by.person_id is None:
        raise NotPermitted(f"To {action}, act as a person (a person token or a person-bound key).")
    if case.assignee != by.person_id:
        raise NotAssignee(case.id)


def require_reporter_or_staff(case: Case, by: By, what: str) -> None:
    """The integration that filed the case (its key) speaks for the resident, and so does
    the resident's own progress link; staff too."""
    if by.staff or by.may(STAFF) or (by.reporter_of is not None and by.reporter_of == case.id):
        return
    if by.key_id is None or by.key_id != case.reported_by_key:
        raise NotPermitted(f"Only the channel that reported the case, or staff, may {what}.")


# Facts: every case event starts with the `about` block (docs/events.md).


def about(case: Case, previous_state: str | None) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "number": case.number,
        "community_id": case.community_id,
        "grid_id": case.grid_id,
        "category": case.category or None,  # None until triaged
        "team": case.team or None,
        "priority": case.priority or None,
        "channel": case.channel,
        "state": case.state,
        "previous_state": previous_state,
        "case_version": case.version,
        "overdue": bool(case.overdue),  # a limit was breached (counts cases closed late)
        # what every message about the case shows, so no consumer keeps its own copy
        "place": case.masked_place or None,
        "category_label": dict(case.category_label) or None,
        "private": case.private,
        "assignee": (
            {"person_id": case.assignee, "display_name": case.assignee_name or ""}
            if case.assignee
            else None
        ),
    }


def emit(before: Case | None, after: Case, *facts: tuple[str, Mapping[str, Any]]) -> Outcome:
    """The outcome of a change: each fact moves the case's version on by one, so
    consumers can order a case's events. `before` is None for a new case."""
    out = []
    version = after.version
    for kind, payload in facts:
        version += 1
        moved = replace(after, version=version)
        out.append((kind, {**about(moved, before.state if before else None), **payload}))
    return Outcome(replace(after, version=version), tuple(out))


def with_timers(outcome: Outcome, timers: list[Timer]) -> Outcome:
    return replace(outcome, timers=(*outcome.timers, *timers))


def elapsed_since(start: datetime | None, now: datetime) -> timedelta:
    return timedelta(0) if start is None else max(now - start, timedelta(0))
