"""The counting model: facts, partitions and the totals they fold into. Plain Python:
no nameko, no pymongo.

Every event metrics counts becomes one *fact* per partition it touches:

- a **day** partition `<community>:<yyyy-mm-dd>` (the community's calendar day) holds
  flows: what happened that day (reported, resolved, time to resolve, ...);
- the **live** partition `<community>:live` holds stocks, running since the first
  event: the open backlog by state, the overdue cases, all-time counts for
  Prometheus, and *levels* such as the people on duty or a grid's households.

A fact adds to *cells*, each a (dimension, value, measure) triple with a count.
Sums do not care about order or batching, so redelivered and out-of-order events
fold to the same totals, and a rebuild from the stored facts gives the same
numbers. A measure named `*_min` or `*_max` is an *extreme* instead (the shortest
time to accept, ...): it keeps the least or greatest value folded into it, which
cares no more about order or batching than a sum, and its zero is a value, not an
empty cell. A *level* is a value that replaces rather than adds (42 people on duty);
the latest by its own order wins, which is just as indifferent to delivery order.

Documents stay bounded: a totals document has a cell per dimension value and
measure (grids, categories, channels, teams, volunteers of a community), never
one per case or per event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

ALL = ("all", "")  # the dimension and value of a community's overall totals
LIVE = "live"
K = TypeVar("K", bound=Hashable)

Cell = tuple[str, str, str]  # (dimension, value, measure)
EXTREMES: Mapping[str, Callable[[int, int], int]] = {"_min": min, "_max": max}


def extreme_of(measure: str) -> Callable[[int, int], int] | None:
    """min or max for an extreme measure; None for a sum."""
    return next((pick for suffix, pick in EXTREMES.items() if measure.endswith(suffix)), None)


def merge(found: MutableMapping[K, int], key: K, measure: str, value: int) -> None:
    """Fold one cell's value into `found[key]`: a sum adds, an extreme keeps the least
    or greatest (its first value is taken as it is)."""
    pick = extreme_of(measure)
    if pick is None:
        found[key] = found.get(key, 0) + value
    else:
        found[key] = pick(found[key], value) if key in found else value


def kept(measure: str, value: int) -> bool:
    """Whether a cell is worth storing: a sum of zero is as good as no cell (documents do
    not fill with zeros); an extreme of zero is a value (a case accepted at once)."""
    return value != 0 or extreme_of(measure) is not None


@dataclass(frozen=True)
class Partition:
    """Where a fact is counted: one community's day, or its running (live) totals."""

    community_id: str
    day: date | None = None  # None: the live partition

    @property
    def id(self) -> str:
        return f"{self.community_id}:{self.day.isoformat() if self.day else LIVE}"

    @property
    def is_live(self) -> bool:
        return self.day is None

    @classmethod
    def parse(cls, text: str) -> Partition:
        community_id, _, rest = text.rpartition(":")
        return cls(community_id, None if rest == LIVE else date.fromisoformat(rest))


@dataclass(frozen=True)
class Level:
    """A value that replaces the one before it: the one with the highest `order`
    (then event id) wins, whatever order the events arrive in."""

    key: str
    order: str  # sortable text: a UTC timestamp, or a zero-padded version
    event_id: str
    value: Mapping[str, Any]

    def newer_than(self, other: Level | None) -> bool:
        return other is None or (self.order, self.event_id) > (other.order, other.event_id)


@dataclass(frozen=True)
class Fact:
    """What one event adds to one partition. `id` is unique per event and role
    (`<event id>`, `<event id>:live`, ...), never derived from the partition."""

    id: str
    partition: Partition
    cells: Mapping[Cell, int] = field(default_factory=dict)
    levels: Mapping[str, Level] = field(default_factory=dict)


@dataclass(frozen=True)
class Totals:
    """A partition's sums and levels."""

    partition: Partition
    cells: Mapping[Cell, int] = field(default_factory=dict)
    levels: Mapping[str, Level] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.partition.id

    def same_as(self, other: Totals) -> bool:
        return dict(self.cells) == dict(other.cells) and dict(self.levels) == dict(other.levels)

    def fold(self, facts: Iterable[Fact]) -> Totals:
        cells = dict(self.cells)
        levels = dict(self.levels)
        for fact in facts:
            for cell, n in fact.cells.items():
                merge(cells, cell, cell[2], n)
            for key, level in fact.levels.items():
                if level.newer_than(levels.get(key)):
                    levels[key] = level
        kept_cells = {cell: n for cell, n in cells.items() if kept(cell[2], n)}
        return Totals(self.partition, kept_cells, levels)

    def measures(self, dimension: tuple[str, str] = ALL) -> Counter[str]:
        """Every measure of one dimension value, e.g. ("grid", "jingxiang-g1")."""
        found: Counter[str] = Counter()
        for (name, value, measure), count in self.cells.items():
            if (name, value) == dimension:
                found[measure] += count
        return found

    def by(self, dimension: str) -> dict[str, Counter[str]]:
        """Measures per value of a dimension, e.g. every grid's."""
        found: dict[str, Counter[str]] = {}
        for (name, value, measure), count in self.cells.items():
            if name == dimension:
                found.setdefault(value, Counter())[measure] += count
        return found

    def levels_of(self, prefix: str) -> list[Level]:
        return [level for key, level in sorted(self.levels.items()) if key.startswith(prefix)]


def add_up(totals: Iterable[Totals], dimension: tuple[str, str] = ALL) -> Counter[str]:
    """One dimension value's measures summed over several partitions (days)."""
    found: Counter[str] = Counter()
    for each in totals:
        for measure, n in each.measures(dimension).items():
            merge(found, measure, measure, n)
    return found


def add_up_by(totals: Iterable[Totals], dimension: str) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    for each in totals:
        for value, measures in each.by(dimension).items():
            summed = found.setdefault(value, Counter())
            for measure, n in measures.items():
                merge(summed, measure, measure, n)
    return found


def days_between(since: date, until: date) -> list[date]:
    return [since + timedelta(days=offset) for offset in range((until - since).days + 1)]


def local_day(at: datetime, zone: ZoneInfo) -> date:
    """Statistics follow the community's calendar day, not UTC's."""
    return at.astimezone(zone).date()


def rate(part: float, whole: float) -> float | None:
    """A share rounded to four places; None when there is nothing to share."""
    return round(part / whole, 4) if whole else None
