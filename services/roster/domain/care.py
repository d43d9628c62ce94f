"""Care rounds (邻里守望): who is looked after, by whom, how often, and which rounds are due.

A care plan is one resident who agreed to be looked after (an elderly person living alone,
a person with a disability, a child left behind), their place, a kind of round (a call or a
visit), a cadence (weekly or monthly) and a carer (a volunteer or a unit leader). Its
rounds are due from `starts_at`, in the community's zone: weekly on the same weekday and
local time, monthly on the same day of the month and local time — the month's last day in a
shorter month, each month counted from the start, so 31 January gives 28 (or 29) February
and then 31 March. Round k is the k-th of these; a round is named by the plan and its local
date. Rounds due before the plan was made are none of its rounds.

A round may be ticked off from the moment the round before it was due (the first one from
the plan's making), and until OPEN_ROUNDS later rounds have opened: then it counts as missed
and no longer waits for a tick. A round not ticked by its due time plus the community's
`care_reminder_after` reminds the carer; still not ticked `care_grid_after` later, the grid
worker is told. Plain Python: no I/O.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from lianxin.contracts.roster import (
    CARE_CADENCES,
    CARE_NEEDS,
    CARE_OUTCOMES,
    CARE_ROUND_KINDS,
    CARE_STAGES,
)

NEEDS, ROUND_KINDS, CADENCES, OUTCOMES = CARE_NEEDS, CARE_ROUND_KINDS, CARE_CADENCES, CARE_OUTCOMES
OPEN_ROUNDS = 4  # a round may still be ticked while fewer later rounds have opened
STAGES = CARE_STAGES  # who a missed round is told to, in order
# the category of the case a round that needs help opens, by the need: cases' one care
# category (services/cases/data/taxonomy.yaml, private, blue vests) serves each of them
CASE_CATEGORIES = {
    "elderly_alone": "care.elderly_alone",
    "disability": "care.elderly_alone",
    "left_behind_child": "care.elderly_alone",
}


class PlanNotFound(Exception):
    """No such plan, or one the asker may not see (another community, another grid, not
    their carer): 404 either way."""


class RoundNotOpen(Exception):
    """The date names no round of the plan that may be ticked now."""

    def __init__(self, day: date):
        super().__init__(f"No round of this plan on {day.isoformat()} may be ticked now.")


class AlreadyTicked(Exception):
    """The round was ticked off already, with another outcome or note."""

    def __init__(self, round_id: str):
        super().__init__(f"Round {round_id} was ticked off already.")


class NotTheCarer(Exception):
    """Only the plan's carer ticks its rounds."""


class PlanEnded(Exception):
    """The plan has ended: no more rounds."""


@dataclass(frozen=True)
class Consent:
    """The resident's agreement to be looked after: who recorded it, and when."""

    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class CarePlan:
    id: str
    community_id: str
    grid_id: str
    area_code: str  # the resident's unit (or building, estate, grid): where a case is placed
    name: str  # kept whole, shown masked
    phone: str
    need: str
    kind: str
    cadence: str
    carer_id: str
    starts_at: datetime
    zone: str
    consent: Consent
    created_at: datetime
    first_round: int = 0
    ended_at: datetime | None = None
    version: int = 1

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


@dataclass(frozen=True)
class Tick:
    """A round ticked off: by whom, when, how it went, and the case it opened."""

    round_id: str
    plan_id: str
    community_id: str
    grid_id: str
    day: date
    due_at: datetime
    carer_id: str
    outcome: str
    note: str
    at: datetime
    case_id: str | None = None


@dataclass(frozen=True)
class Round:
    """One round of a plan as a page shows it: its index, local day, due time and state
    (`due`: not yet; `overdue`: past its time; `ticked`)."""

    plan_id: str
    index: int
    day: date
    due_at: datetime
    state: str
    tick: Tick | None = None

    @property
    def id(self) -> str:
        return round_id(self.plan_id, self.day)


@dataclass(frozen=True)
class Check:
    """A deadline of the plan's chain: look at round `index` for `stage` at `at`."""

    index: int
    stage: str
    at: datetime


@dataclass(frozen=True)
class CheckOutcome:
    """What a firing check does: who is told the round was missed (a stage, or None) and
    which checks come next."""

    missed: str | None
    next_checks: tuple[Check, ...] = field(default_factory=tuple)


def round_id(plan_id: str, day: date) -> str:
    return f"{plan_id}:{day.isoformat()}"


def due_at(plan: CarePlan, index: int) -> datetime:
    """When round `index` is due: the start's local time, `index` weeks or months on (a
    month's last day where the start's day does not exist), in the plan's zone."""
    zone = ZoneInfo(plan.zone)
    start = plan.starts_at.astimezone(zone)
    if plan.cadence == "weekly":
        day = start.date() + timedelta(weeks=index)
    else:
        months = start.month - 1 + index
        year, month = start.year + months // 12, months % 12 + 1
        day = date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
    return datetime.combine(day, start.time(), tzinfo=zone)


def local_day(plan: CarePlan, index: int) -> date:
    return due_at(plan, index).date()


def first_round(plan: CarePlan, made_at: datetime) -> int:
    """The first round due at or after the plan's making: none is due before it."""
    return _first_due_from(plan, 0, made_at)


def next_due(plan: CarePlan, now: datetime) -> int:
    """The index of the round whose time comes next (the one open now)."""
    return _first_due_from(plan, plan.first_round, now, strictly_after=True)


def _first_due_from(plan: CarePlan, start: int, at: datetime, strictly_after: bool = False) -> int:
    """The first index from `start` whose round is due at (or after) `at`, found from an
    estimate of the periods elapsed so a plan of years takes a step or two."""
    elapsed = (at - plan.starts_at).days
    estimate = elapsed // 7 if plan.cadence == "weekly" else elapsed // 31
    index = max(start, estimate - 1)
    while True:
        due = due_at(plan, index)
        if due > at or (due == at and not strictly_after):
            return index
        index += 1


def index_of(plan: CarePlan, day: date) -> int | None:
    """The round due on local `day`, if the plan has one then."""
    start = plan.starts_at.astimezone(ZoneInfo(plan.zone)).date()
    if plan.cadence == "weekly":
        days = (day - start).days
        index = days // 7 if days % 7 == 0 else None
    else:
        index = (day.year - start.year) * 12 + day.month - start.month
    if index is None or index < plan.first_round or local_day(plan, index) != day:
        return None
    return index


def open_rounds(plan: CarePlan, now: datetime) -> range:
    """The rounds that may be ticked now: the one due next and the few before it."""
    if plan.ended:
        return range(0)
    latest = next_due(plan, now)
    return range(max(plan.first_round, latest - OPEN_ROUNDS + 1), latest + 1)


def round_to_tick(plan: CarePlan, day: date, now: datetime) -> int:
    """The index of the round on `day`, if it may be ticked now; RoundNotOpen otherwise."""
    if plan.ended:
        raise PlanEnded(f"The plan {plan.id} has ended.")
    index = index_of(plan, day)
    if index is None or index not in open_rounds(plan, now):
        raise RoundNotOpen(day)
    return index


def rounds(plan: CarePlan, now: datetime, ticks: Mapping[str, Tick]) -> list[Round]:
    """The plan's open rounds, the latest first, each with its state."""
    shown = []
    for index in reversed(open_rounds(plan, now)):
        due = due_at(plan, index)
        tick = ticks.get(round_id(plan.id, due.date()))
        state = "ticked" if tick else ("overdue" if due <= now else "due")
        shown.append(Round(plan.id, index, due.date(), due, state, tick))
    return shown


def tick_of(
    plan: CarePlan, day: date, carer_id: str, outcome: str, note: str, case_id: str | None,
    now: datetime,
) -> Tick:  # fmt: skip
    """The tick of the round on `day` by `carer_id`: NotTheCarer, PlanEnded or RoundNotOpen
    when it may not be."""
    if carer_id != plan.carer_id:
        raise NotTheCarer("Only the plan's carer ticks its rounds.")
    index = round_to_tick(plan, day, now)
    return Tick(
        round_id=round_id(plan.id, day),
        plan_id=plan.id,
        community_id=plan.community_id,
        grid_id=plan.grid_id,
        day=day,
        due_at=due_at(plan, index),
        carer_id=carer_id,
        outcome=outcome,
        note=note,
        at=now,
        case_id=case_id,
    )


def same_tick(stored: Tick, asked: Tick) -> bool:
    """Whether a repeated tick says what the stored one said (a retry, not a change)."""
    return (stored.outcome, stored.note, stored.case_id or None) == (
        asked.outcome,
        asked.note,
        asked.case_id or None,
    )


def first_check(plan: CarePlan, reminder_after: timedelta) -> Check:
    """The chain's first deadline: the carer's reminder for the plan's first round."""
    index = plan.first_round
    return Check(index, STAGES[0], due_at(plan, index) + reminder_after)


def on_check(
    plan: CarePlan,
    check: Check,
    ticked: bool,
    reminder_after: timedelta,
    grid_after: timedelta,
) -> CheckOutcome:
    """What a check finds. The carer's check of a round not ticked reminds the carer and
    sets the grid worker's check `grid_after` later; every carer's check sets the next
    round's. The grid worker's check of a round still not ticked tells the grid worker.
    An ended plan stops its chain; a round due after its end is no round."""
    due = due_at(plan, check.index)
    if plan.ended_at is not None and plan.ended_at <= due:
        return CheckOutcome(None)
    if check.stage == "grid_worker":
        return CheckOutcome(None if ticked else "grid_worker")
    following = Check(check.index + 1, "carer", due_at(plan, check.index + 1) + reminder_after)
    if ticked:
        return CheckOutcome(None, (following,))
    escalation = Check(check.index, "grid_worker", check.at + grid_after)
    return CheckOutcome("carer", (escalation, following))
