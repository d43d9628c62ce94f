"""Case facts and the day totals they fold into. Plain Python: no nameko, no pymongo.

Every event metrics counts becomes a *fact*: the cells it adds to, each a
(dimension, value, measure) triple with a count. A community's day totals are
the sum of its facts' cells. Sums do not care about order, so redelivered and
out-of-order events fold to the same totals, and a rebuild from the stored facts
gives the same numbers as the running totals.

A day's totals are addressed by the composite id `<community>:<day>` (DESIGN.md
rule 7): the summary of a period reads one document per day, whatever the
number of cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

MEASURE_OF_EVENT = {
    "case.reported": "reported",
    "case.triaged": "triaged",
    "case.dispatched": "dispatched",
    "case.escalated": "escalated",
    "case.accepted": "accepted",
    "case.resolved": "resolved",
    "notification.delivered": "notified",
    "notification.failed": "notification_failures",
}
MEASURES = (*tuple(MEASURE_OF_EVENT.values()), "resolved_on_time")
ALL = ("all", "")  # the dimension and value of a community's overall totals

Cell = tuple[str, str, str]  # (dimension, value, measure)


@dataclass(frozen=True)
class Fact:
    """What one event adds to one community-day."""

    event_id: str
    community_id: str
    day: date
    cells: Mapping[Cell, int]

    @property
    def partition(self) -> str:
        return day_id(self.community_id, self.day)


@dataclass(frozen=True)
class DayTotals:
    community_id: str
    day: date
    cells: Mapping[Cell, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return day_id(self.community_id, self.day)

    def fold(self, facts: Iterable[Fact]) -> DayTotals:
        cells = Counter(self.cells)
        for fact in facts:
            cells.update(fact.cells)
        return DayTotals(self.community_id, self.day, dict(cells))


def day_id(community_id: str, day: date) -> str:
    return f"{community_id}:{day.isoformat()}"


def days_between(since: date, until: date) -> list[date]:
    return [since + timedelta(days=offset) for offset in range((until - since).days + 1)]


def local_day(at: datetime) -> date:
    """Statistics follow the community's calendar day, not UTC's."""
    return at.astimezone(LOCAL_ZONE).date()


def fact_of(event_id: str, event_type: str, occurred_at: datetime, payload: Mapping) -> Fact | None:
    """The cells an event adds to, or None for an event metrics does not count."""
    measure = MEASURE_OF_EVENT.get(event_type)
    if measure is None:
        return None
    measures = [measure]
    if event_type == "case.resolved" and payload.get("on_time"):
        measures.append("resolved_on_time")
    cells: Counter[Cell] = Counter()
    for name in measures:
        cells[(*ALL, name)] += 1
        cells[("category", payload["category"], name)] += 1
    return Fact(event_id, payload["community_id"], local_day(occurred_at), dict(cells))


def summarise(days: Iterable[DayTotals]) -> dict:
    totals: Counter[str] = Counter({measure: 0 for measure in MEASURES})
    by_category: dict[str, Counter[str]] = {}
    for totals_of_day in days:
        for (dimension, value, measure), count in totals_of_day.cells.items():
            if (dimension, value) == ALL:
                totals[measure] += count
            elif dimension == "category":
                by_category.setdefault(value, Counter())[measure] += count
    return {
        "totals": dict(totals),
        "open": max(0, totals["reported"] - totals["resolved"]),
        "resolution_rate": _rate(totals["resolved"], totals["reported"]),
        "on_time_rate": _rate(totals["resolved_on_time"], totals["resolved"]),
        "by_category": {name: dict(counts) for name, counts in sorted(by_category.items())},
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
