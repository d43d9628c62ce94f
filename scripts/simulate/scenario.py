"""What a scenario is: one capability of the community, simulated.

A scenario `schedule`s its acts on the agenda (through the public APIs only), keeps in
its `truth` what it did as it did it (what the simulator knows happened: the ground
truth), and at the end `check`s that truth against the statistics the services publish.
To simulate a new capability, write a module in scripts/simulate/scenarios/ with a class
of this shape and add it to scenarios.every_scenario; read a new statistic by adding a
method to Statistics.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from scripts.simulate.timeline import Agenda, Quarter


@dataclass(frozen=True)
class Check:
    """One figure, as the simulator counted it and as the statistics show it. `exact`
    checks must agree; the others are shown side by side (a median of timings, say)."""

    scenario: str
    figure: str
    truth: Any
    statistics: Any
    exact: bool = True

    @property
    def agrees(self) -> bool:
        return not self.exact or self.truth == self.statistics


@dataclass
class Truth:
    """Counters a scenario keeps while its acts run on several threads. The statistics
    count what happened on the quarter's days: an effect the services stamp with a moment
    outside them (an act that ran late, past the quarter's end) is kept apart, in
    `outside`, as they keep it out of the quarter's figures."""

    counts: Counter = field(default_factory=Counter)
    by: dict[str, Counter] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    outside: Counter = field(default_factory=Counter)
    window: tuple[datetime, datetime] | None = None  # the quarter: [start, end)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, figure: str, n: int = 1, at: str | datetime | None = None, **breakdowns: str):
        """`figure` happened n times, at the moment the service stamped it (`at`); and
        n times under each breakdown given (by="value")."""
        with self._lock:
            if not self.within(at):
                self.outside[figure] += n
                return
            self.counts[figure] += n
            for dimension, value in breakdowns.items():
                self.by.setdefault(f"{figure}_by_{dimension}", Counter())[value] += n

    def within(self, at: str | datetime | None) -> bool:
        if at is None or self.window is None:
            return True
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
        return self.window[0] <= moment < self.window[1]

    def sample(self, figure: str, value: float) -> None:
        with self._lock:
            self.samples.setdefault(figure, []).append(value)

    def breakdown(self, name: str) -> dict[str, int]:
        return dict(sorted(self.by.get(name, Counter()).items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(sorted(self.counts.items())),
            "outside_the_quarter": dict(sorted(self.outside.items())),
            "breakdowns": {name: self.breakdown(name) for name in sorted(self.by)},
        }


class Scenario(Protocol):
    """One capability of the community's quarter (see the module's docstring)."""

    name: str
    truth: Truth

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        """Put the scenario's first acts on the agenda (they may add more as they run)."""

    def check(self, statistics: Any) -> Iterable[Check]:
        """Its ground truth against the statistics (scripts.simulate.statistics)."""
