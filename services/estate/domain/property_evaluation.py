"""The property company's evaluation of one estate (物业考评): its company, and quarter by
quarter the paper ballots staff entered, the frozen result and what staff did about it.
Plain Python: no I/O.

One aggregate per estate, changed under its lease: the company, the quarters (a handful a
year, so the document grows by the quarter, never by the vote) and the standing the
closed quarters leave (domain/property_verdict.py). The households' online ballots and the
complaints counted from cases are facts of their own, each stored once by its natural id;
closing a quarter counts them, judges the quarter and freezes the result, after which
the quarter takes no ballot, no paper count and no second closing. Actions are recorded on
the latest closed quarter, the one whose verdict is current.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from services.estate.domain.property_ballots import (
    OfflineEntry,
    Tally,
    correct_offline,
    enter_offline,
    offline_total,
)
from services.estate.domain.property_verdict import (
    Action,
    ActionRefused,
    Figures,
    Standing,
    Thresholds,
    after_action,
    check_action,
    verdict,
)

MAX_COMPANY_NAME = 100
MAX_PAST_COMPANIES = 20  # the contracts an estate keeps on its record


class QuarterClosed(Exception):
    """The quarter is closed: its result is frozen."""

    def __init__(self, quarter: str):
        super().__init__(f"The quarter {quarter} is closed.")
        self.quarter = quarter


class QuarterNotDue(Exception):
    """A quarter that has not begun, or one before the latest closed, cannot be closed."""


class NoCompany(Exception):
    """The estate has no property company on record: nothing to rate or close."""


class CompanyRefused(Exception):
    def __init__(self, fields: Mapping[str, str]):
        super().__init__(", ".join(fields))
        self.fields = dict(fields)

    def details(self) -> dict[str, dict[str, list[str]]]:
        """As a 400 names its fields."""
        return {"fields": {name: [why] for name, why in self.fields.items()}}


@dataclass(frozen=True)
class Company:
    """The property company under contract for the estate."""

    name: str
    starts_on: date
    ends_on: date
    by: str
    at: datetime

    @classmethod
    def of(cls, name: str, starts_on: date, ends_on: date, by: str, at: datetime) -> Company:
        wrong = {}
        name = " ".join(name.split())
        if not name or len(name) > MAX_COMPANY_NAME:
            wrong["name"] = f"1 to {MAX_COMPANY_NAME} characters"
        if ends_on <= starts_on:
            wrong["ends_on"] = "after the contract's start"
        if wrong:
            raise CompanyRefused(wrong)
        return cls(name, starts_on, ends_on, by, at)


@dataclass(frozen=True)
class Result:
    """A closed quarter's figures and verdict, frozen when staff closed it."""

    company: str
    figures: Figures
    thresholds: Thresholds
    level: str
    reasons: tuple[str, ...]
    by: str
    at: datetime


@dataclass(frozen=True)
class Quarter:
    offline: tuple[OfflineEntry, ...] = ()
    result: Result | None = None
    actions: tuple[Action, ...] = ()

    @property
    def offline_tally(self) -> Tally:
        return offline_total(self.offline)


@dataclass(frozen=True)
class Evaluation:
    community_id: str
    estate_id: str
    company: Company | None = None
    past: tuple[Company, ...] = ()
    quarters: Mapping[str, Quarter] = field(default_factory=dict)
    standing: Standing = field(default_factory=Standing)

    def quarter(self, quarter: str) -> Quarter:
        return self.quarters.get(quarter, Quarter())

    @property
    def latest_closed(self) -> str | None:
        closed = [key for key, held in self.quarters.items() if held.result is not None]
        return max(closed) if closed else None

    def open_for_ballots(self, quarter: str) -> None:
        """Whether the quarter takes ballots: NoCompany, QuarterClosed if not."""
        if self.company is None:
            raise NoCompany(self.estate_id)
        if self.quarter(quarter).result is not None:
            raise QuarterClosed(quarter)

    def _with(self, quarter: str, held: Quarter) -> Evaluation:
        return replace(self, quarters={**self.quarters, quarter: held})


def with_company(evaluation: Evaluation, company: Company) -> Evaluation:
    """The estate under a new contract: the company before it goes on the record."""
    past = evaluation.past
    if evaluation.company is not None:
        past = (*past, evaluation.company)[-MAX_PAST_COMPANIES:]
    return replace(evaluation, company=company, past=past)


def with_offline(
    evaluation: Evaluation, quarter: str, current: str, tally: Tally, by: str, at: datetime
) -> Evaluation:
    """The quarter's paper ballots entered (once: OfflineAlreadyEntered after), while it
    is open: paper ballots are often counted after the quarter's last day."""
    held = open_quarter(evaluation, quarter, current)
    return evaluation._with(
        quarter, replace(held, offline=enter_offline(held.offline, tally, by, at))
    )


def with_correction(
    evaluation: Evaluation,
    quarter: str,
    current: str,
    tally: Tally,
    reason: str,
    by: str,
    at: datetime,
) -> Evaluation:
    """The quarter's paper ballots corrected: the entry reversed with the reason, the new
    counts entered."""
    held = open_quarter(evaluation, quarter, current)
    entries = correct_offline(held.offline, tally, reason, by, at)
    return evaluation._with(quarter, replace(held, offline=entries))


def closed(
    evaluation: Evaluation,
    quarter: str,
    current: str,
    online: Tally,
    complaints: int,
    households: int,
    thresholds: Thresholds,
    by: str,
    at: datetime,
    today: date,
) -> Evaluation:
    """The quarter closed by staff: its result computed from the ballots and complaints
    counted now, judged against the standing the closed quarters left, and frozen.
    `current` is the quarter `at` falls in: a later one cannot be closed yet; `today` the
    community's day it falls on, which a plan's date is overdue after."""
    held = open_quarter(evaluation, quarter, current)
    figures = Figures(online, held.offline_tally, complaints, households)
    found = verdict(figures, thresholds, evaluation.standing, evaluation.company.name, today)
    result = Result(
        evaluation.company.name, figures, thresholds, found.level, found.reasons, by, at
    )
    frozen = evaluation._with(quarter, replace(held, result=result))
    return replace(frozen, standing=found.standing)


def open_quarter(evaluation: Evaluation, quarter: str, current: str) -> Quarter:
    """The quarter, if staff may still enter its paper ballots or close it: open (else
    QuarterClosed), the estate under contract (NoCompany), begun (`current` is the
    quarter now) and after the latest closed (QuarterNotDue)."""
    held = _open(evaluation, quarter)
    if evaluation.company is None:
        raise NoCompany(evaluation.estate_id)
    latest = evaluation.latest_closed
    if quarter > current or (latest is not None and quarter < latest):
        raise QuarterNotDue(quarter)
    return held


def with_action(evaluation: Evaluation, quarter: str, action: Action, today: date) -> Evaluation:
    """An action recorded on the latest closed quarter, which its verdict requires, on the
    community's day `today`."""
    held = evaluation.quarter(quarter)
    if held.result is None or quarter != evaluation.latest_closed:
        raise ActionRefused("not_latest", "Actions go on the latest closed quarter.")
    check_action(held.result.level, held.actions, evaluation.standing, action, today)
    recorded = evaluation._with(quarter, replace(held, actions=(*held.actions, action)))
    return replace(recorded, standing=after_action(evaluation.standing, action))


def _open(evaluation: Evaluation, quarter: str) -> Quarter:
    held = evaluation.quarter(quarter)
    if held.result is not None:
        raise QuarterClosed(quarter)
    return held
