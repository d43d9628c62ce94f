"""The one clock services read: real time, or a scaled one for a simulated quarter.

Unset, `utc_now()` is the machine's time. `LIANXIN_CLOCK="<simulated start>@<anchor>x<speed>"`
makes it the simulated time: until the real instant `anchor` the clock stands at `start`;
from then on it runs `speed` times as fast as real time. The anchor is a Unix time
(`2026-07-01T00:00:00+08:00@1780000000.0x17280`) or a file
(`2026-07-01T00:00:00+08:00@/srv/sim/go x17280` without the space): the clock stands
until the file exists and runs from its modification time, so that a simulated stack
can be started and stocked, however long that takes, on the eve of its quarter, and
every process of it (scripts/simulate) starts running the moment the file is made.

Domain time (deadlines, time limits, offers, care rounds, statistics by hour and day, the
moment a credential was issued against an access change) reads `utc_now()`. What waits in
real time for a domain deadline (lianxin.bus.deadlines) converts the simulated span with
`real_seconds`. Infrastructure time (leases, heartbeats, HTTP timeouts, retry back-off,
how long a sign-in code, session or token lasts) stays real: `time.time()`/`monotonic()`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

VARIABLE = "LIANXIN_CLOCK"


class ClockSpecError(ValueError):
    """LIANXIN_CLOCK does not read `<ISO start>@<anchor epoch>x<speed>`."""


@dataclass
class ScaledClock:
    """Simulated time standing at `start` until its anchor, then running `speed` times as
    fast as real time. The anchor is `anchor` (Unix seconds) or, while that is None, the
    modification time of `anchor_file` once the file exists."""

    start: datetime  # what the clock reads until the anchor
    anchor: float | None
    speed: float
    anchor_file: str | None = None

    def now(self) -> datetime:
        anchor = self.anchor_time()
        elapsed = 0.0 if anchor is None else max(0.0, time.time() - anchor)
        return self.start + timedelta(seconds=elapsed * self.speed)

    def anchor_time(self) -> float | None:
        """The real instant the clock started running; None while it stands."""
        if self.anchor is None and self.anchor_file is not None:
            try:
                self.anchor = os.stat(self.anchor_file).st_mtime
            except FileNotFoundError:
                return None
        return self.anchor

    def real_seconds(self, simulated_seconds: float) -> float:
        return simulated_seconds / self.speed

    def spec(self) -> str:
        """The value of LIANXIN_CLOCK that makes this clock."""
        anchor = self.anchor_file if self.anchor_file is not None else f"{self.anchor:.3f}"
        return f"{self.start.isoformat()}@{anchor}x{self.speed:g}"

    @classmethod
    def parse(cls, spec: str) -> ScaledClock:
        try:
            start_text, rest = spec.strip().split("@", 1)
            anchor_text, speed_text = rest.rsplit("x", 1)
            start, speed = datetime.fromisoformat(start_text), float(speed_text)
        except ValueError:
            raise ClockSpecError(f"{VARIABLE}={spec!r}: not <ISO start>@<anchor>x<speed>") from None
        if start.tzinfo is None or speed <= 0 or not anchor_text:
            raise ClockSpecError(f"{VARIABLE}={spec!r}: the start needs a zone, the speed > 0")
        if anchor_text.startswith("/"):
            return cls(start.astimezone(UTC), None, speed, anchor_text)
        try:
            return cls(start.astimezone(UTC), float(anchor_text), speed)
        except ValueError:
            raise ClockSpecError(f"{VARIABLE}={spec!r}: the anchor is a time or a file") from None


@cache
def configured() -> ScaledClock | None:
    """The process's scaled clock, read once from the environment; None: real time."""
    spec = os.environ.get(VARIABLE, "").strip()
    return ScaledClock.parse(spec) if spec else None


def utc_now() -> datetime:
    scaled = configured()
    return datetime.now(UTC) if scaled is None else scaled.now()


def real_span(span: timedelta) -> timedelta:
    """A span of domain time as it lasts in real time: what a session's idle limit or a
    sign-in code's lifetime is judged by, so that a person watching a simulated stack stays
    signed in while its days pass in seconds."""
    return timedelta(seconds=real_seconds(span.total_seconds()))


def real_seconds(simulated_seconds: float) -> float:
    """How long a span of domain time lasts in real time (itself on the real clock)."""
    scaled = configured()
    return simulated_seconds if scaled is None else scaled.real_seconds(simulated_seconds)
