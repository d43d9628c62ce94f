"""The load generator: a hotline-like HTTP client, the tracker of every case, two drivers.

Client. One keep-alive `http.client` connection per sender thread (light: no
session machinery), JSON bodies, a unique `Idempotency-Key` per report. A 5xx
or a broken connection is retried with jittered exponential back-off (honouring
`Retry-After`, capped) with the SAME key, as a hotline platform retries a work
order; the retries and the 201 / 200 answers are counted.

Tracker. Every case is registered before its first send, under the id it will
carry on the bus (cases derive it from the key, so an event never races ahead
of its registration), with the time of that first send. The event probe and
the webhook receiver stamp the later milestones. All times are
`time.monotonic()` of this one process.

Drivers.
- `closed_loop`: N sender threads as fast as they can, but with at most
  `max_in_flight` cases not yet complete (delivered, or resolved with
  `--resolve`): the pipeline is measured at the rate it sustains, not while a
  backlog grows without bound.
- `open_loop`: sends scheduled on a clock at a fixed rate, handed to a pool of
  sender threads; nobody waits for an answer before the next send is due.
  Latency is counted from the scheduled time, so a late sender cannot hide
  queueing (no coordinated omission).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lianxin.backoff import BackOff
from scripts.bench.workload import Report, Workload

RETRY_STATUSES = range(500, 600)
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0  # after the spread and the server's Retry-After
BACK_OFF = BackOff(base_seconds=BACKOFF_BASE_SECONDS, cap_seconds=math.inf)


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects after any failure."""

    def __init__(self, host: str, port: int, timeout: float = 15.0):
        self._host, self._port, self._timeout = host, port, timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self._host, self._port, timeout=self._timeout
            )
        try:
            self._connection.request(method, path, body=body, headers=headers or {})
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass
class Target:
    """Where reports go, and the id each one will carry on the bus."""

    host: str
    port: int
    path: str
    id_for: Callable[[str], str]  # Idempotency-Key → tracked id
    headers: dict[str, str] = field(default_factory=dict)  # e.g. the integration's API key


# Milestones after which a case will not be dispatched without a person stepping in:
# nobody on duty (escalated), a repeat of an open case (merged), nothing maps it
# (manual triage). They end a case's time in flight and are counted apart.
SETTLED_ELSEWHERE = ("escalated", "merged", "triage_needed")


@dataclass
class Case:
    id: str
    phase: str
    sent: float
    answered: float | None = None
    dispatched: float | None = None
    delivered: float | None = None
    escalated: float | None = None
    merged: float | None = None  # a repeat of an open case, folded into it at intake
    triage_needed: float | None = None  # no rule maps it: waits for staff to triage
    accepted: float | None = None
    resolved: float | None = None
    failed: bool = False
    person_id: str | None = None


class Tracker:
    """Every case of the run and its milestones; gates the closed loop on completion.

    `complete_on` is the milestone after which a case no longer counts as in flight:
    `dispatched` (the bare chain), `delivered` (the pipeline) or `resolved`."""

    def __init__(self, max_in_flight: int = 64, complete_on: str = "delivered"):
        self.cases: dict[str, Case] = {}
        self.unknown = Counter()  # milestones for ids this run never sent
        self.duplicates = Counter()  # the same milestone seen twice (at-least-once)
        self.complete_on = complete_on
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._holding: set[str] = set()
        self._listeners: list[Callable[[Case, str], None]] = []

    def on(self, listener: Callable[[Case, str], None]) -> None:
        """`listener(case, milestone)` after each first milestone (e.g. to accept)."""
        self._listeners.append(listener)

    def take_slot(self, timeout: float) -> bool:
        return self._slots.acquire(timeout=timeout)

    def give_back_slot(self) -> None:
        self._slots.release()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._holding)

    def begin(self, case_id: str, phase: str, at: float, holds_slot: bool) -> Case:
        case = Case(case_id, phase, at)
        with self._lock:
            self.cases[case_id] = case
            if holds_slot:
                self._holding.add(case_id)
        return case

    def mark(self, case_id: str, milestone: str, at: float, **details: Any) -> None:
        with self._lock:
            case = self.cases.get(case_id)
            if case is None:
                self.unknown[milestone] += 1
                return
            if getattr(case, milestone) is not None:
                self.duplicates[milestone] += 1
                return
            setattr(case, milestone, at)
            for key, value in details.items():
                setattr(case, key, value)
            done = milestone == self.complete_on or milestone in SETTLED_ELSEWHERE
        if done:
            self.release(case_id)
        for listener in self._listeners:
            listener(case, milestone)

    def fail(self, case_id: str) -> None:
        with self._lock:
            if case_id in self.cases:
                self.cases[case_id].failed = True
        self.release(case_id)

    def release(self, case_id: str) -> None:
        with self._lock:
            if case_id not in self._holding:
                return
            self._holding.discard(case_id)
        self._slots.release()

    def of_phase(self, phase: str) -> list[Case]:
        with self._lock:
            return [case for case in self.cases.values() if case.phase == phase]

    def pending(self, phase: str, milestone: str) -> int:
        """Cases of the phase still waiting for `milestone` (failed ones and those settled
        elsewhere excluded)."""
        return sum(
            1
            for case in self.of_phase(phase)
            if not case.failed
            and not any(getattr(case, other) is not None for other in SETTLED_ELSEWHERE)
            and getattr(case, milestone) is None
        )


@dataclass
class SendStats:
    """What the client saw: statuses, retries, give-ups, answer times, its own CPU."""

    statuses: Counter = field(default_factory=Counter)
    retries: int = 0
    gave_up: int = 0
    refused: Counter = field(default_factory=Counter)  # 4xx: the bench's own bug
    answer_seconds: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    started: float = 0.0
    stopped: float = 0.0
    max_lag_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_cpu(self, seconds: float) -> None:
        with self._lock:
            self.cpu_seconds += seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "status_201": self.statuses.get(201, 0),
            "status_200": self.statuses.get(200, 0),
            "other_statuses": {str(k): v for k, v in self.statuses.items() if k not in (200, 201)},
            "retries": self.retries,
            "gave_up": self.gave_up,
            "refused_4xx": dict(self.refused),
            "generator_cpu_seconds": round(self.cpu_seconds, 3),
            "send_seconds": round(self.stopped - self.started, 3),
            "max_schedule_lag_ms": round(self.max_lag_seconds * 1000, 1),
        }


def send_report(
    client: Client,
    target: Target,
    report: Report,
    tracker: Tracker,
    stats: SendStats,
    phase: str,
    at: float | None = None,
    holds_slot: bool = False,
) -> bool:
    """Send one report until it is taken (201 or 200), retrying 5xx and broken connections
    with the same Idempotency-Key. `at` is when it was due (open loop); default now."""
    case_id = target.id_for(report.key)
    started = time.monotonic()
    tracker.begin(case_id, phase, at if at is not None else started, holds_slot)
    payload = json.dumps(report.body, ensure_ascii=False).encode()
    headers = {
        **target.headers,
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": report.key,
        "X-Correlation-Id": report.key,
    }
    for attempt in range(MAX_ATTEMPTS):
        retry_after = None
        try:
            status, answer_headers, data = client.request("POST", target.path, payload, headers)
        except (OSError, http.client.HTTPException):
            status = None
        else:
            if status in (200, 201):
                answered = time.monotonic()
                with stats._lock:
                    stats.statuses[status] += 1
                    stats.answer_seconds.append(answered - (at if at is not None else started))
                tracker.mark(case_id, "answered", answered)
                return True
            if status not in RETRY_STATUSES:
                with stats._lock:
                    stats.statuses[status] += 1
                    stats.refused[f"{status}: {data[:200].decode(errors='replace')}"] += 1
                tracker.fail(case_id)
                return False
            retry_after = answer_headers.get("retry-after")
            with stats._lock:
                stats.statuses[status] += 1
        if attempt == MAX_ATTEMPTS - 1:
            break
        with stats._lock:
            stats.retries += 1
        time.sleep(_backoff(attempt, retry_after))
    with stats._lock:
        stats.gave_up += 1
    tracker.fail(case_id)
    return False


def _backoff(attempt: int, retry_after: str | None) -> float:
    delay = BACK_OFF.spread(attempt + 1, 0.5)  # attempt counts from 0
    if retry_after:
        with contextlib.suppress(ValueError):
            delay = max(delay, float(retry_after))
    return min(delay, BACKOFF_CAP_SECONDS)


def closed_loop(
    target: Target,
    workload: Workload,
    tracker: Tracker,
    phase: str,
    clients: int,
    duration: float,
    max_cases: int | None = None,
    slot_timeout: float = 30.0,
    trouble: Callable[[], str | None] = lambda: None,
) -> SendStats:
    """`clients` senders as fast as the in-flight limit lets them, for `duration` seconds
    (or `max_cases` reports, whichever comes first). Stops early, raising, when nothing
    completes for `slot_timeout` seconds or `trouble()` names a problem (a lost probe)."""
    stats = SendStats()
    budget = _Budget(max_cases)
    stop_at = time.monotonic() + duration
    halt = threading.Event()
    problems: list[str] = []

    def slot() -> bool:
        waited = 0.0
        while not tracker.take_slot(timeout=0.5):
            waited += 0.5
            problem = trouble() or (
                f"no case completed for {slot_timeout:.0f}s with {tracker.in_flight} in flight"
                if waited >= slot_timeout
                else None
            )
            if problem or halt.is_set():
                if problem:
                    problems.append(problem)
                halt.set()
                return False
        return True

    def sender() -> None:
        client = Client(target.host, target.port)
        try:
            while time.monotonic() < stop_at and not halt.is_set():
                if not slot():
                    break
                if time.monotonic() >= stop_at or not budget.take():
                    tracker.give_back_slot()
                    break
                send_report(client, target, workload.next(), tracker, stats, phase, holds_slot=True)
        finally:
            client.close()
            stats.add_cpu(time.thread_time())

    stats.started = time.monotonic()
    _run_threads(sender, clients)
    stats.stopped = time.monotonic()
    if problems:
        raise RuntimeError(f"{phase}: {problems[0]}; see the service logs")
    return stats


def open_loop(
    target: Target,
    workload: Workload,
    tracker: Tracker,
    phase: str,
    rate: float,
    duration: float,
    senders: int = 32,
) -> SendStats:
    """Reports due every 1/rate seconds for `duration` seconds, whatever the answers do."""
    stats = SendStats()
    due: queue.Queue = queue.Queue()
    count = max(1, int(rate * duration))

    def sender() -> None:
        client = Client(target.host, target.port)
        try:
            while (item := due.get()) is not None:
                at, report = item
                lag = time.monotonic() - at
                if lag > stats.max_lag_seconds:
                    stats.max_lag_seconds = lag
                send_report(client, target, report, tracker, stats, phase, at=at)
        finally:
            client.close()
            stats.add_cpu(time.thread_time())

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    clock_cpu = time.thread_time()
    stats.started = start = time.monotonic() + 0.05
    for index in range(count):
        at = start + index / rate
        report = workload.next()  # made before it is due, not on the clock
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        due.put((at, report))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    stats.stopped = time.monotonic()
    stats.add_cpu(time.thread_time() - clock_cpu)  # the clock's own share
    return stats


class Volunteers:
    """With `--resolve`: the offered volunteer accepts, then resolves, as each dispatch
    arrives (the assignee comes with the case.dispatched event, as in the message they got)."""

    def __init__(
        self,
        host: str,
        port: int,
        tracker: Tracker,
        workers: int = 8,
        credentials: Callable[[str], dict[str, str]] = lambda person_id: {},
    ):
        """`credentials(person_id)`: the headers a volunteer's app sends as that person."""
        self._host, self._port, self._tracker = host, port, tracker
        self._credentials = credentials
        self._queue: queue.Queue = queue.Queue()
        self.stats = SendStats()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()
        tracker.on(self._on_milestone)

    def _on_milestone(self, case: Case, milestone: str) -> None:
        if milestone == "dispatched":
            self._queue.put(case)

    def _work(self) -> None:
        client = Client(self._host, self._port)
        try:
            while (case := self._queue.get()) is not None:
                started = time.thread_time()
                self._act(client, case)
                self.stats.add_cpu(time.thread_time() - started)  # per case: phases diff it
        finally:
            client.close()

    def _act(self, client: Client, case: Case) -> None:
        # who acts travels in the credentials (a person token), never in the body
        steps = [
            ("accept", "accepted", {}),
            ("resolve", "resolved", {"resolution": "已上门处理", "volunteer_hours": 1.0}),
        ]
        for action, milestone, body in steps:
            for attempt in range(MAX_ATTEMPTS):
                try:
                    status, headers, _ = client.request(
                        "POST",
                        f"/v1/cases/{case.id}/{action}",
                        json.dumps(body, ensure_ascii=False).encode(),
                        {
                            **self._credentials(case.person_id),
                            "Content-Type": "application/json; charset=utf-8",
                        },
                    )
                except (OSError, http.client.HTTPException):
                    status, headers = None, {}
                with self.stats._lock:
                    self.stats.statuses[status] += 1
                if status == 200:
                    self._tracker.mark(case.id, milestone, time.monotonic())
                    break
                if status is not None and status not in RETRY_STATUSES:
                    self._tracker.fail(case.id)
                    return
                with self.stats._lock:
                    self.stats.retries += 1
                time.sleep(_backoff(attempt, headers.get("retry-after")))
            else:
                self._tracker.fail(case.id)
                return

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=5)


class _Budget:
    def __init__(self, limit: int | None):
        self._left = limit
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self._left is None:
            return True
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


def _run_threads(target: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
