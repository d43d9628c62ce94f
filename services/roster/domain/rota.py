"""Rotas (排班): recurring shifts, the order in which members take them, and overrides.

A rota is written as RRULEs (RFC 5545, read by python-dateutil) in the community's
time zone, each with a duration, plus crews in a stated order: the n-th shift of
the rota, all its rules merged in time order, goes to the n-th crew, round and
round (轮流上岗). Three crews on three eight-hour shifts a day each keep their
hours; four crews on the same shifts rotate through the times of day.

Such a rota repeats: after some whole number of days both the rules and the turn
of the crews come round again. `compile_plan` expands the rules once, when the
rota is saved, into that repeating cycle; asking who is on duty then reads the
cycle at the day in question and never walks the rules from their start, so it
costs the same on the first day of a rota and ten years on.

Times in a plan are wall-clock times in the community's zone; a shift lasts its
duration in real time, so a night shift crosses midnight and a daylight-saving
change like any other instant.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from services.roster.domain.intervals import Interval, contains, intersect, merge, subtract, total

MINUTES_PER_DAY = 1440
PERIOD_MINUTES = {"DAILY": MINUTES_PER_DAY, "WEEKLY": 7 * MINUTES_PER_DAY, "HOURLY": 60}
RULE_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYHOUR", "BYMINUTE", "BYSECOND", "WKST"})
MAX_CYCLE_DAYS = 400
MAX_SHIFT_MINUTES = 2 * MINUTES_PER_DAY
OVERRIDE_KINDS = ("cover", "extra", "check_in", "check_out", "no_show")
UNEVEN_RATIO = 1.25  # a member with a quarter more duty than another is worth a look


class InvalidRota(ValueError):
    """A rule or crew list that cannot make a repeating rota; the message says which."""


@dataclass(frozen=True)
class Slot:
    """One recurring shift: an RRULE (no DTSTART, COUNT or UNTIL) and how long it lasts."""

    rule: str
    minutes: int


@dataclass(frozen=True)
class PlannedShift:
    day: int  # day of the cycle, from 0
    start: time  # wall-clock, in the community's zone
    minutes: int
    crew: int  # index into the rota's crews


@dataclass(frozen=True)
class Plan:
    """The rota's cycle, compiled once: `days` long, starting on `anchor` (local date)."""

    anchor: date
    days: int
    shifts: tuple[PlannedShift, ...]

    @cached_property
    def by_day(self) -> Mapping[int, tuple[PlannedShift, ...]]:
        grouped: dict[int, list[PlannedShift]] = defaultdict(list)
        for shift in self.shifts:
            grouped[shift.day].append(shift)
        return {day: tuple(shifts) for day, shifts in grouped.items()}

    @cached_property
    def longest(self) -> timedelta:
        return timedelta(minutes=max(shift.minutes for shift in self.shifts))


def compile_plan(slots: Sequence[Slot], anchor: date, crews: int) -> Plan:
    """Expand the slots' rules over one whole cycle, turns of the crews included.

    The cycle is the least number of days after which every rule repeats (a day
    for FREQ=DAILY, a week for weekly rules or when BYDAY narrows a daily one),
    stretched until the crews' turn comes round too. Raises InvalidRota for a
    rule that cannot repeat this way (monthly, COUNT, ...)."""
    if not slots:
        raise InvalidRota("A rota needs at least one shift.")
    if crews < 1:
        raise InvalidRota("A rota needs at least one crew.")
    base_days = math.lcm(*(_period_days(slot) for slot in slots))
    start = datetime.combine(anchor, time())
    occurrences = _expand(slots, start, base_days)
    if not occurrences:
        raise InvalidRota("No shift falls within the rota's cycle.")
    days = base_days * crews // math.gcd(len(occurrences), crews)
    if days > MAX_CYCLE_DAYS:
        raise InvalidRota(f"The rota repeats only every {days} days; at most {MAX_CYCLE_DAYS}.")
    cycle = _expand(slots, start, days)
    again = _expand(slots, start + timedelta(days=days), days)
    if [(at - timedelta(days=days), minutes) for at, minutes in again] != cycle:
        raise InvalidRota(f"The rules do not repeat every {days} days.")
    shifts = tuple(
        PlannedShift((at.date() - anchor).days, at.time(), minutes, index % crews)
        for index, (at, minutes) in enumerate(cycle)
    )
    return Plan(anchor, days, shifts)


def _period_days(slot: Slot) -> int:
    parts = _rule_parts(slot.rule)
    if not 0 < slot.minutes <= MAX_SHIFT_MINUTES:
        raise InvalidRota(f"A shift lasts more than 0 and at most {MAX_SHIFT_MINUTES} minutes.")
    frequency = parts.get("FREQ")
    if frequency not in PERIOD_MINUTES:
        raise InvalidRota(f"Use FREQ=DAILY, WEEKLY or HOURLY, not {frequency or 'none'}.")
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        raise InvalidRota(f"INTERVAL is a whole number in {slot.rule!r}.") from None
    if not 1 <= interval <= 1000:
        raise InvalidRota(f"INTERVAL between 1 and 1000 in {slot.rule!r}.")
    minutes = PERIOD_MINUTES[frequency] * interval
    if "BYDAY" in parts:
        if any(day.strip()[:1] in "+-0123456789" for day in parts["BYDAY"].split(",")):
            raise InvalidRota("BYDAY takes plain weekdays (MO, TU, ...) in a rota.")
        minutes = math.lcm(minutes, 7 * MINUTES_PER_DAY)
    return math.lcm(minutes, MINUTES_PER_DAY) // MINUTES_PER_DAY


def _rule_parts(rule: str) -> dict[str, str]:
    parts = {}
    for part in rule.strip().removeprefix("RRULE:").split(";"):
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidRota(f"Not an RRULE part: {part!r}.")
        if key.upper() not in RULE_PARTS:
            allowed = ", ".join(sorted(RULE_PARTS))
            raise InvalidRota(f"{key.upper()} has no place in a repeating rota; use {allowed}.")
        parts[key.upper()] = value
    return parts


def _expand(slots: Sequence[Slot], start: datetime, days: int) -> list[tuple[datetime, int]]:
    """Every shift start in [start, start + days), ordered by time and then by slot."""
    end = start + timedelta(days=days)
    found = []
    for order, slot in enumerate(slots):
        try:
            rule = rrulestr(slot.rule.strip().removeprefix("RRULE:"), dtstart=start)
        except (ValueError, TypeError) as exc:
            raise InvalidRota(f"Not a valid RRULE: {slot.rule!r} ({exc}).") from None
        for at in rule.between(start, end, inc=True):
            if at < end:
                found.append((at, order, slot.minutes))
    return [(at, minutes) for at, _, minutes in sorted(found)]


@dataclass(frozen=True)
class Shift:
    """One occurrence: a crew on duty from start to end (UTC)."""

    rota_id: str
    start: datetime
    end: datetime
    people: tuple[str, ...]


@dataclass(frozen=True)
class Rota:
    id: str
    community_id: str
    team: str
    grids: tuple[str, ...]
    zone: ZoneInfo
    crews: tuple[tuple[str, ...], ...]
    plan: Plan
    until: date | None = None  # last local day of the rota, if it ends
    check_in_required: bool = False
    reminder: timedelta = timedelta(minutes=30)

    @cached_property
    def members(self) -> tuple[str, ...]:
        """Everyone in the crews, in the stated order, each once."""
        return tuple(dict.fromkeys(person for crew in self.crews for person in crew))

    def shifts(self, start: datetime, end: datetime) -> Iterator[Shift]:
        """The shifts that overlap [start, end), in order of their start."""
        first = start.astimezone(self.zone).date() - timedelta(days=self.plan.longest.days + 1)
        last = end.astimezone(self.zone).date()
        day = max(first, self.plan.anchor)
        while day <= last and (self.until is None or day <= self.until):
            cycle_day = (day - self.plan.anchor).days % self.plan.days
            for planned in self.plan.by_day.get(cycle_day, ()):
                begins = datetime.combine(day, planned.start, tzinfo=self.zone)
                ends = begins + timedelta(minutes=planned.minutes)
                if begins < end and ends > start:
                    yield Shift(self.id, begins, ends, self.crews[planned.crew])
            day += timedelta(days=1)


@dataclass(frozen=True)
class Override:
    """A change to the rota for one person over [start, end):
    cover     `person` takes the duty `replaces` was scheduled for (a swap is two covers)
    extra     `person` is on duty besides the rota
    check_in  `person` signed in (签到); on duty until they sign out
    check_out `person` signed out (签退) before their duty ended
    no_show   `person` did not sign in for a shift that needed it
    """

    id: str
    kind: str
    person_id: str
    start: datetime
    end: datetime
    replaces: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Duty:
    """Who is on duty for one rota over a window, as intervals per person."""

    rota: Rota
    window: Interval
    intervals: Mapping[str, tuple[Interval, ...]] = field(default_factory=dict)

    def at(self, at: datetime) -> list[str]:
        return [person for person, spans in self.intervals.items() if contains(spans, at)]

    def hours(self, person_id: str) -> float:
        return total(self.intervals.get(person_id, ())).total_seconds() / 3600


def duty(
    rota: Rota,
    window: Interval,
    overrides: Iterable[Override] = (),
    leave: Mapping[str, Sequence[Interval]] | None = None,
) -> Duty:
    """On duty = scheduled, with covers moved across, sign-outs and no-shows taken out,
    extra duty and sign-ins added, and leave taken out last: someone on leave covers
    nobody. People come in the rota's stated order, then anyone else."""
    start, end = window
    overrides = list(overrides)
    reach = (start - rota.plan.longest, end + rota.plan.longest)
    spans: dict[str, list[Interval]] = {person: [] for person in rota.members}
    for shift in rota.shifts(*reach):
        for person in shift.people:
            spans[person].append((shift.start, shift.end))
    moves = [  # read from the schedule as written, so that two covers make a swap
        (
            cover.replaces,
            cover.person_id,
            intersect(spans.get(cover.replaces, ()), (cover.start, cover.end)),
        )
        for cover in overrides
        if cover.kind == "cover" and cover.replaces
    ]
    for replaced, _, taken in moves:
        spans[replaced] = subtract(spans.get(replaced, ()), taken)
    for _, person, taken in moves:
        spans.setdefault(person, []).extend(taken)
    for off in (o for o in overrides if o.kind in ("check_out", "no_show")):
        spans[off.person_id] = subtract(spans.get(off.person_id, ()), [(off.start, off.end)])
    for on in (o for o in overrides if o.kind in ("extra", "check_in")):
        spans.setdefault(on.person_id, []).append((on.start, on.end))
    for person, away in (leave or {}).items():
        if person in spans:
            spans[person] = subtract(spans[person], away)
    clipped = {person: tuple(intersect(found, window)) for person, found in spans.items()}
    return Duty(rota, window, {person: found for person, found in clipped.items() if found})


def on_duty(
    rota: Rota,
    at: datetime,
    overrides: Iterable[Override] = (),
    leave: Mapping[str, Sequence[Interval]] | None = None,
) -> list[str]:
    """`on_duty(team, grid, at)` for one rota: right at shift edges (a shift includes its
    start and excludes its end), across midnight and over every override."""
    return duty(rota, (at, at + timedelta(microseconds=1)), overrides, leave).at(at)


@dataclass(frozen=True)
class Gap:
    grid_id: str
    team: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class Load:
    rota_id: str
    hours: Mapping[str, float]  # each member's hours on duty in the window

    @property
    def uneven(self) -> bool:
        """Someone idle while others serve, or the busiest over UNEVEN_RATIO × the least."""
        values = list(self.hours.values())
        if not values or max(values) == 0:
            return False
        return min(values) == 0 or max(values) > UNEVEN_RATIO * min(values)


def gaps(grid_id: str, team: str, duties: Iterable[Duty], window: Interval) -> list[Gap]:
    """Stretches of the window with nobody on duty for this team in this grid."""
    covered = merge(
        span for found in duties for spans in found.intervals.values() for span in spans
    )
    return [Gap(grid_id, team, start, end) for start, end in subtract([window], covered)]


def overlaps(grid_id: str, team: str, duties: Sequence[Duty], window: Interval) -> list[Gap]:
    """Stretches of the window when two of the team's rotas for this grid both have someone
    on duty: a double booking, worth a look as much as a gap. Returned as Gaps (a grid, a
    team and a stretch)."""
    spans = [merge(s for spans in found.intervals.values() for s in spans) for found in duties]
    both = (
        span
        for index, mine in enumerate(spans)
        for theirs in spans[index + 1 :]
        for start, end in theirs
        for span in intersect(mine, (start, end))
    )
    return [Gap(grid_id, team, start, end) for start, end in intersect(both, window)]


def load(found: Duty) -> Load:
    """Hours per member (everyone in the crews, idle ones too) and whoever covered."""
    people = dict.fromkeys([*found.rota.members, *found.intervals])
    return Load(found.rota.id, {person: round(found.hours(person), 2) for person in people})


def shift_boundaries(found: Duty) -> list[datetime]:
    """The instants inside the window at which someone comes on or goes off duty."""
    start, end = found.window
    edges = {edge for spans in found.intervals.values() for span in spans for edge in span}
    return sorted(edge for edge in edges if start < edge < end)
