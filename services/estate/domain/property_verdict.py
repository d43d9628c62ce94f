"""The rule that judges the property company quarter by quarter. Plain Python: no I/O.

A quarter is below the community's thresholds when its satisfaction rate (online and paper
ballots together) is under `min_satisfaction` — judged only once `min_ballots` ballots were
cast, so that three unhappy neighbours are no verdict — or when its complaints about the
company (cases of a category the taxonomy marks so) exceed `max_complaints_per_100`
households of the estate.

Quarters below in a row, with the same company, escalate:
  the first → a warning (约谈: staff meet the company);
  the second → a rectification plan (整改), with a date, recorded by staff;
  the third → a replacement recommendation (建议更换).
A rectification plan whose date has passed when a quarter closes, not recorded as met,
is a replacement recommendation whatever that quarter's figures. A quarter at or above
the thresholds ends the run (the warnings stay on the record); a new company starts with
none. A quarter's result is computed when staff close it and frozen then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from lianxin.contracts.estate import PROPERTY_ACTIONS, PROPERTY_LEVELS, PROPERTY_REASONS
from services.estate.domain.property_ballots import Tally

# what a closed quarter requires of staff, by how many quarters in a row were below
LEVELS, ACTIONS, REASONS = PROPERTY_LEVELS, PROPERTY_ACTIONS, PROPERTY_REASONS


@dataclass(frozen=True)
class Thresholds:
    """A community's thresholds; the defaults are services/estate/data/property.yaml's."""

    min_satisfaction: float = 0.60
    max_complaints_per_100: float = 1.0
    min_ballots: int = 10

    @classmethod
    def of(cls, settings: Mapping[str, object]) -> Thresholds:
        return cls(
            float(settings["min_satisfaction"]),  # type: ignore[arg-type]
            float(settings["max_complaints_per_100"]),  # type: ignore[arg-type]
            int(settings["min_ballots"]),  # type: ignore[call-overload]
        )


# -- judging one quarter --------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What a quarter is judged on."""

    online: Tally
    offline: Tally
    complaints: int
    households: int

    @property
    def ballots(self) -> Tally:
        return self.online + self.offline

    @property
    def complaints_per_100(self) -> float | None:
        """Complaints per 100 households; None for an estate with none registered."""
        return 100 * self.complaints / self.households if self.households else None


def reasons_below(figures: Figures, thresholds: Thresholds) -> tuple[str, ...]:
    """Why the quarter is below the thresholds (none: it is not)."""
    reasons = []
    satisfaction = figures.ballots.satisfaction
    if (
        satisfaction is not None
        and figures.ballots.ballots >= thresholds.min_ballots
        and satisfaction < thresholds.min_satisfaction
    ):
        reasons.append("satisfaction_low")
    per_100 = figures.complaints_per_100
    if per_100 is not None and per_100 > thresholds.max_complaints_per_100:
        reasons.append("complaints_high")
    return tuple(reasons)


# -- across quarters --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A rectification plan (整改方案) staff recorded: its text, its date, whether met."""

    text: str
    due: date
    by: str
    at: datetime
    met_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.met_at is None


@dataclass(frozen=True)
class Standing:
    """What earlier quarters leave the next one: quarters below in a row with this company,
    and the rectification plan staff recorded, if any."""

    company: str | None = None
    below_in_a_row: int = 0
    plan: Plan | None = None


@dataclass(frozen=True)
class Verdict:
    level: str  # one of LEVELS: what the quarter requires of staff
    reasons: tuple[str, ...]  # why (REASONS); none for a quarter at or above the thresholds
    standing: Standing  # what this quarter leaves the next


def verdict(
    figures: Figures, thresholds: Thresholds, before: Standing, company: str, closed_on: date
) -> Verdict:
    """The quarter's verdict, given what the quarters before it left (`before`)."""
    reasons = reasons_below(figures, thresholds)
    if before.company != company:  # a new company answers for its own quarters only
        before = Standing(company)
    in_a_row = before.below_in_a_row + 1 if reasons else 0
    plan = before.plan
    overdue = plan is not None and plan.open and plan.due < closed_on
    if overdue:
        reasons = (*reasons, "plan_overdue")
    level = "replacement" if overdue else LEVELS[min(in_a_row, len(LEVELS) - 1)]
    return Verdict(level, reasons, Standing(company, in_a_row, plan))


@dataclass(frozen=True)
class Action:
    """What staff did about a verdict: met the company (warning), recorded its plan
    (rectification, with its text and date), recommended its replacement, or recorded the
    plan met."""

    kind: str  # one of ACTIONS
    by: str
    at: datetime
    text: str
    due: date | None = None


class ActionRefused(Exception):
    """The action does not fit the quarter's verdict or the plan on record; `code` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code

    def details(self) -> dict[str, str]:
        return {"reason": self.code}


def check_action(
    level: str, done: tuple[Action, ...], standing: Standing, action: Action, today: date
) -> None:
    """Whether staff may record `action` on a closed quarter of verdict `level`: the action
    the verdict requires, once (`plan_met` while a plan is open); a plan needs a date
    after `today` (the community's day it is recorded on: from 16:00 UTC Beijing's is
    the next) and some text."""
    if not action.text.strip():
        raise ActionRefused("text_required", "Say what was agreed or decided.")
    if action.kind == "plan_met":
        if standing.plan is None or not standing.plan.open:
            raise ActionRefused("no_open_plan", "There is no open rectification plan.")
        return
    if action.kind != level:
        raise ActionRefused("not_required", f"This quarter requires {level}, not {action.kind}.")
    if any(earlier.kind == action.kind for earlier in done):
        raise ActionRefused("already_recorded", f"The {action.kind} is recorded already.")
    if action.kind == "rectification" and (action.due is None or action.due <= today):
        raise ActionRefused("due_required", "A plan needs a date after today.")


def after_action(standing: Standing, action: Action) -> Standing:
    """What the action changes of the standing: a plan recorded, or the plan met."""
    if action.kind == "rectification":
        assert action.due is not None  # check_action refused a plan without one
        plan = Plan(action.text.strip(), action.due, action.by, action.at)
        return Standing(standing.company, standing.below_in_a_row, plan)
    if action.kind == "plan_met" and standing.plan is not None:
        plan = Plan(
            standing.plan.text,
            standing.plan.due,
            standing.plan.by,
            standing.plan.at,
            met_at=action.at,
        )
        return Standing(standing.company, standing.below_in_a_row, plan)
    return standing
