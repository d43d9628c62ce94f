"""The simulator's plain logic, tested without a stack: a quarter scheduled on an agenda
that only records what it was given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from scripts.simulate.timeline import Quarter

ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Written:
    """An agenda that keeps the acts a scenario puts on it, in the order of their times."""

    acts: list[tuple[datetime, str, object]] = field(default_factory=list)
    at_the_end: list[tuple[str, object]] = field(default_factory=list)  # closing work, in order
    arrivals: set[str] = field(default_factory=set)  # names of the acts that may be shed

    def at(self, when: datetime, name: str, act, arrival: bool = False) -> None:
        self.acts.append((when, name, act))
        if arrival:
            self.arrivals.add(name)

    def at_end(self, name: str, act) -> None:
        self.at_the_end.append((name, act))

    def named(self, name: str) -> list[tuple[datetime, object]]:
        return sorted(((when, act) for when, n, act in self.acts if n == name),
                      key=lambda entry: entry[0])  # fmt: skip


@pytest.fixture
def quarter() -> Quarter:
    return Quarter(date(2026, 7, 1), 92, ZONE)


@pytest.fixture
def two_weeks() -> Quarter:
    return Quarter(date(2026, 7, 6), 14, ZONE)
