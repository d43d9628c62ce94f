"""The simulated quarter's time: the scaled clock every service of the stack reads, the
quarter's days in the community's zone, and the agenda of timed acts the scenarios fill.

The agenda runs each act when the scaled clock reaches its time (a few at once, on a small
pool of threads: a day of five seconds holds a hundred or so calls); an act may schedule
the next step of its story (a case's offer answered, then resolved, then checked). Acts
are plain functions; one that raises is recorded, not retried, and the run fails. Staff's
closing work (the quarter's paper ballots counted and closed, its list published) runs
once the quarter's timed acts are done, in the order given, however late the agenda ran:
it is never dropped.

On a machine too busy for the clock's speed the agenda sheds load where it enters: an
*arrival* (a new report, hotline order, dispute, ballot or observation: something that
starts a story) due more than SHED_AFTER real seconds ago is not made, and counted as
shed, so that the stories already begun — an offer answered before it lapses, a case
resolved, checked and rated — keep their time. Without it every act ran later and later
and a loaded run answered no offer at all. What an arrival counts it counts when it is
made, so the ground truth holds whatever was shed.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from lianxin.clock import ScaledClock

DAY = timedelta(days=1)
SHED_AFTER = 1.0  # real seconds an arrival may start late before it is shed


@dataclass(frozen=True)
class Quarter:
    """The simulated days, `first` to `last` inclusive, in `zone`; acts stop at `closing`
    on the last day, so that what an act causes (an event a few domain minutes later) is
    still counted on a day of the quarter."""

    first: date
    days: int
    zone: ZoneInfo
    closing_hour: int = 22

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    @property
    def starts(self) -> datetime:
        return self.at(self.first, 0)

    @property
    def ends(self) -> datetime:
        """The moment after the last day (local midnight)."""
        return self.at(self.last + DAY, 0)

    @property
    def closing(self) -> datetime:
        return self.at(self.last, self.closing_hour)

    def at(self, day: date, hour: float) -> datetime:
        """The local time `hour` (fractions are minutes) of `day`, as an aware instant."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return midnight + timedelta(hours=hour)

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)


@dataclass(order=True)
class _Entry:
    when: datetime
    seq: int
    name: str = field(compare=False)
    act: Callable[[], None] = field(compare=False)
    arrival: bool = field(default=False, compare=False)


@dataclass
class ActFailure:
    name: str
    when: str
    error: str


class Agenda:
    """Timed acts, run when the scaled clock reaches them, until `until`: an act whose
    time comes after it is not scheduled, and one still waiting when the clock passes it
    (the simulator behind the clock, on a busy machine) is dropped, so a run lasts the
    quarter and no longer."""

    def __init__(self, clock: ScaledClock, until: datetime, workers: int = 8):
        self.clock = clock
        self.until = until
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="act")
        self._running: set[Future] = set()
        self.failures: list[ActFailure] = []
        self.dropped = 0  # acts that fell after `until`: the quarter was over
        self.behind = 0  # acts still waiting when the clock passed `until`
        self.shed = 0  # arrivals not made: due more than SHED_AFTER real seconds ago
        self.done = 0
        self.late_seconds = 0.0  # the most domain time an act started after its time
        self._at_end: list[tuple[str, Callable[[], None]]] = []

    def at(
        self, when: datetime, name: str, act: Callable[[], None], arrival: bool = False
    ) -> None:
        """`act` at `when`; an `arrival` (it starts a story) may be shed when late."""
        with self._lock:
            if when >= self.until:
                self.dropped += 1
                return
            heapq.heappush(self._heap, _Entry(when, next(self._seq), name, act, arrival))

    def at_end(self, name: str, act: Callable[[], None]) -> None:
        """`act` once the quarter's timed acts are done (its closing work), never dropped."""
        self._at_end.append((name, act))

    def after(self, span: timedelta, name: str, act: Callable[[], None]) -> None:
        """`act` this long after now (domain time)."""
        self.at(self.clock.now() + span, name, act)

    def run(self, progress: Callable[[datetime], None] = lambda now: None) -> None:
        """Until nothing is left to do before `until`; `progress` is told the time often.
        Interrupted (Ctrl-C, SIGTERM), acts not yet started are cancelled."""
        try:
            self._run(progress)
            for name, act in self._at_end:
                self._perform(_Entry(self.clock.now(), next(self._seq), name, act))
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, progress: Callable[[datetime], None]) -> None:
        while True:
            with self._lock:
                entry = self._heap[0] if self._heap else None
                self._running = {future for future in self._running if not future.done()}
                busy = len(self._running)
            if entry is not None and busy >= self._workers:  # late acts wait in the heap
                time.sleep(0.005)
                progress(self.clock.now())
                continue
            if entry is None:
                if not busy:
                    break
                time.sleep(0.01)
                continue
            if self.clock.now() >= self.until:
                with self._lock:
                    self.behind += len(self._heap)
                    self._heap.clear()
                continue
            wait = self.clock.real_seconds((entry.when - self.clock.now()).total_seconds())
            if wait > 0:
                time.sleep(min(wait, 0.05))
                progress(self.clock.now())
                continue
            with self._lock:
                heapq.heappop(self._heap)
            late = (self.clock.now() - entry.when).total_seconds()
            if entry.arrival and self.clock.real_seconds(late) > SHED_AFTER:
                self.shed += 1
                continue
            self.late_seconds = max(self.late_seconds, late)
            future = self._pool.submit(self._perform, entry)
            with self._lock:
                self._running.add(future)

    def _perform(self, entry: _Entry) -> None:
        try:
            entry.act()
        except Exception as exc:  # recorded; the run fails at its end
            tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self.failures.append(ActFailure(entry.name, entry.when.isoformat(), tail[:500]))
        finally:
            self.done += 1
