"""The volunteer-hours ledger (工时): how much a resolution is worth, and exact balances.

Some communities let a household pay part of its estate fund in volunteer hours,
so the ledger must be exact and auditable:
- a credit comes from a rule held in data (a fixed amount per category, or the
  time from acceptance to resolution up to a cap), night work at a multiplier,
  in whole units (a quarter of an hour by default): amounts are integer minutes,
  so sums are exact;
- entries are never changed: a reopening appends a reversal, a staff decision
  appends an entry, a correction is an entry of its own;
- a credit over the approval threshold waits for staff; until then it counts for
  nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from services.roster.domain.intervals import intersect, total

MAX_ENTRY_MINUTES = 24 * 60
# who reads only their own ledger and their own household's; staff, grid roles and
# integrations' keys read their communities'
OWN_LEDGER_ONLY = ("volunteer",)


class AlreadyDecided(Exception):
    """A pending credit can be approved or rejected once."""

    def __init__(self, entry_id: str):
        super().__init__(f"Hours entry {entry_id} has been decided already.")


class NotPending(Exception):
    def __init__(self, entry_id: str):
        super().__init__(f"Hours entry {entry_id} is not waiting for approval.")


class OwnHours(Exception):
    """Nobody approves, rejects or corrects their own hours: someone else must."""

    def __init__(self):
        super().__init__("Nobody decides on or corrects their own hours.")


class ExceedsCredit(Exception):
    """An approval grants at most what the rule credited."""

    def __init__(self, credited_minutes: int):
        super().__init__(f"At most the {credited_minutes / 60:g} hours credited.")
        self.credited_minutes = credited_minutes

    def details(self) -> dict:
        return {"fields": {"hours": [str(self)]}}


@dataclass(frozen=True)
class HoursRule:
    pattern: str  # a category code, `facility.*`, or `*`
    fixed_minutes: int | None = None  # a fixed credit, or None: measured
    cap_minutes: int | None = None  # a measured credit's ceiling
    minimum_minutes: int = 15

    def matches(self, category: str) -> bool:
        if self.pattern == "*":
            return True
        if self.pattern.endswith(".*"):
            return category.startswith(self.pattern[:-1])
        return category == self.pattern

    @property
    def specificity(self) -> int:
        return 0 if self.pattern == "*" else 1 if self.pattern.endswith(".*") else 2

    def describe(self) -> str:
        if self.fixed_minutes is not None:
            return f"{self.pattern}: fixed {self.fixed_minutes} min"
        cap = f", cap {self.cap_minutes} min" if self.cap_minutes else ""
        return f"{self.pattern}: measured{cap}"


@dataclass(frozen=True)
class NightWork:
    starts: time  # e.g. 22:00
    ends: time  # e.g. 06:00, the next morning
    multiplier: Fraction

    def windows(self, start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple]:
        """The night stretches (UTC-aware) around [start, end]."""
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date()
        found = []
        while day <= last:
            begins = datetime.combine(day, self.starts, tzinfo=zone)
            next_day = day + timedelta(days=1) if self.ends <= self.starts else day
            found.append((begins, datetime.combine(next_day, self.ends, tzinfo=zone)))
            day += timedelta(days=1)
        return found

    def covers(self, at: datetime, zone: ZoneInfo) -> bool:
        return any(start <= at < end for start, end in self.windows(at, at, zone))


@dataclass(frozen=True)
class HoursPolicy:
    rules: tuple[HoursRule, ...]
    night: NightWork | None = None
    approval_above_minutes: int = 4 * 60
    unit_minutes: int = 15

    def rule_for(self, category: str) -> HoursRule:
        matching = [rule for rule in self.rules if rule.matches(category)]
        if not matching:
            return HoursRule("*", fixed_minutes=0, minimum_minutes=0)
        return max(matching, key=lambda rule: rule.specificity)


@dataclass(frozen=True)
class Award:
    minutes: int
    state: str
    rule: str  # how the amount came about, for the auditor


def award(
    policy: HoursPolicy,
    category: str,
    accepted_at: datetime | None,
    resolved_at: datetime,
    zone: ZoneInfo,
) -> Award:
    """What a resolution earns: by the category's rule, night work multiplied, rounded
    half up to whole units, never under the rule's minimum."""
    rule = policy.rule_for(category)
    night = policy.night
    multiplier = night.multiplier if night else Fraction(1)
    explained = [rule.describe()]
    if rule.fixed_minutes is not None or accepted_at is None:
        seconds = Fraction((rule.fixed_minutes or rule.minimum_minutes) * 60)
        if night and night.covers(resolved_at, zone):
            seconds *= multiplier
            explained.append(f"resolved at night ×{multiplier}")
    else:
        worked = max(resolved_at - accepted_at, timedelta())
        if rule.cap_minutes is not None:
            worked = min(worked, timedelta(minutes=rule.cap_minutes))
        span = (accepted_at, accepted_at + worked)
        at_night = total(intersect(night.windows(*span, zone), span)) if night else timedelta()
        seconds = Fraction(int((worked - at_night).total_seconds()))
        seconds += Fraction(int(at_night.total_seconds())) * multiplier
        explained.append(f"{worked} worked, {at_night} of it at night ×{multiplier}")
    unit = policy.unit_minutes * 60
    units = int(seconds / unit + Fraction(1, 2))
    minutes = min(max(units * policy.unit_minutes, rule.minimum_minutes), MAX_ENTRY_MINUTES)
    state = "pending_approval" if minutes > policy.approval_above_minutes else "approved"
    return Award(minutes, state, "; ".join(explained))


@dataclass(frozen=True)
class Entry:
    """One line of the ledger; never changed once written."""

    id: str
    kind: str
    state: str
    person_id: str
    community_id: str
    minutes: int  # negative for a reversal
    at: datetime
    case_id: str | None = None
    household_id: str | None = None
    rule: str = ""
    refers_to: str | None = None
    note: str = ""
    by: str = "roster"

    @property
    def hours(self) -> float:
        return self.minutes / 60

    @property
    def counts(self) -> bool:
        return self.state == "approved"


def reads_own_ledger_only(role: str | None) -> bool:
    return role in OWN_LEDGER_ONLY


def may_read_ledger(
    reader: Mapping[str, Any] | None,
    person_id: str | None = None,
    household_id: str | None = None,
) -> bool:
    """Whether someone who reads only their own hours (`reader`: their person record) may
    read this person's or this household's ledger: their own, or their own household's
    (a household id is one community's, so theirs is of their community)."""
    if reader is None:
        return False
    if person_id is not None:
        return reader["_id"] == person_id
    return bool(household_id) and reader.get("household_id") == household_id


def balance(entries: Iterable[Entry]) -> int:
    """Minutes that count: approved entries only (a pending credit waits for staff)."""
    return sum(entry.minutes for entry in entries if entry.counts)


def decision_id(credit_id: str) -> str:
    """One decision per pending credit: its id is the decision's, so a second is a
    duplicate insert."""
    return f"{credit_id}:decision"


def decide(
    pending: Entry,
    approve: bool,
    minutes: int | None,
    by: str,
    note: str,
    at: datetime,
    acting: str | None = None,
) -> Entry:
    """Staff approve (at most the minutes credited) or reject a pending credit. `by` is
    recorded; `acting` is the person deciding (None for an integration's key), who may
    not be the person credited."""
    if pending.state != "pending_approval":
        raise NotPending(pending.id)
    if acting is not None and acting == pending.person_id:
        raise OwnHours()
    granted = pending.minutes if minutes is None else minutes
    if approve and granted > pending.minutes:
        raise ExceedsCredit(pending.minutes)
    return Entry(
        id=decision_id(pending.id),
        kind="credit" if approve else "correction",
        state="approved",
        person_id=pending.person_id,
        community_id=pending.community_id,
        minutes=granted if approve else 0,
        at=at,
        case_id=pending.case_id,
        household_id=pending.household_id,
        refers_to=pending.id,
        note=note or ("approved" if approve else "rejected"),
        by=by,
        rule=pending.rule,
    )


def correction(
    entry_id: str,
    person: Mapping[str, Any],
    minutes: int,
    reason: str,
    case_id: str | None,
    by: str,
    at: datetime,
    acting: str | None,
) -> Entry:
    """A staff correction to a person's hours, counted at once; never by that person."""
    if acting is not None and acting == person["_id"]:
        raise OwnHours()
    return Entry(
        id=entry_id,
        kind="correction",
        state="approved",
        person_id=person["_id"],
        community_id=person["community_id"],
        minutes=minutes,
        at=at,
        case_id=case_id,
        household_id=person.get("household_id"),
        note=reason,
        by=by,
    )


def reverse(credited: Entry, entry_id: str, at: datetime, note: str) -> Entry:
    """Undo what a credit counted for (a reopened case): an entry of its own."""
    return Entry(
        id=entry_id,
        kind="reversal",
        state="approved",
        person_id=credited.person_id,
        community_id=credited.community_id,
        minutes=-credited.minutes,
        at=at,
        case_id=credited.case_id,
        household_id=credited.household_id,
        refers_to=credited.id,
        note=note,
    )


CSV_COLUMNS = (
    "entry_id",
    "at",
    "person_id",
    "household_id",
    "community_id",
    "case_id",
    "kind",
    "state",
    "minutes",
    "hours",
    "refers_to",
    "rule",
    "note",
    "by",
)


def csv_row(entry: Entry) -> dict[str, object]:
    """An entry as an auditor reads it: `minutes` is the exact amount, `hours` the same to
    two places (a Decimal, so that it is written as a number, never quoted as text)."""
    return {
        "entry_id": entry.id,
        "at": entry.at.isoformat(),
        "person_id": entry.person_id,
        "household_id": entry.household_id,
        "community_id": entry.community_id,
        "case_id": entry.case_id,
        "kind": entry.kind,
        "state": entry.state,
        "minutes": entry.minutes,
        "hours": in_hours(entry.minutes),
        "refers_to": entry.refers_to,
        "rule": entry.rule,
        "note": entry.note,
        "by": entry.by,
    }


def in_hours(minutes: int) -> Decimal:
    """Minutes as hours to two places, exactly as written: 45 → 0.75, -30 → -0.50."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
