"""The one clock services read: real time, or a scaled one for a simulated quarter.

Unset, `utc_now()` is the machine's time. `LIANXIN_CLOCK="<simulated start>@<real
anchor>x<speed>"` (e.g. `2026-07-01T00:00:00+08:00@1780000000.0x17280`) makes it the
simulated time: until the real instant `anchor` (Unix seconds) the clock stands at
`start`; from then on it runs `speed` times as fast as real time. Every process of a
simulated stack gets the same value, so they agree on what time it is, and the stack can
be started and stocked while the clock waits on the eve of the simulated quarter
(scripts/simulate).

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


@dataclass(frozen=True)
class ScaledClock:
    """Simulated time standing at `start` until `anchor`, then running `speed` times as
    fast as real time."""

    start: datetime  # what the clock reads until the anchor
    anchor: float  # a real instant, Unix seconds
    speed: float

    def now(self) -> datetime:
        return self.start + timedelta(seconds=max(0.0, time.time() - self.anchor) * self.speed)

    def real_seconds(self, simulated_seconds: float) -> float:
        return simulated_seconds / self.speed

    def spec(self) -> str:
        """The value of LIANXIN_CLOCK that makes this clock."""
        return f"{self.start.isoformat()}@{self.anchor:.3f}x{self.speed:g}"

    @classmethod
    def parse(cls, spec: str) -> ScaledClock:
        try:
            start_text, rest = spec.strip().rsplit("@", 1)
            anchor_text, speed_text = rest.split("x", 1)
            start, anchor, speed = datetime.fromisoformat(start_text), float(anchor_text), float(
                speed_text
            )
        except ValueError:
            raise ClockSpecError(f"{VARIABLE}={spec!r}: not <ISO start>@<epoch>x<speed>") from None
        if start.tzinfo is None or speed <= 0:
            raise ClockSpecError(f"{VARIABLE}={spec!r}: the start needs a zone, the speed > 0")
        return cls(start.astimezone(UTC), anchor, speed)


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
