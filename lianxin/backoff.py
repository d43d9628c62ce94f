"""How long to wait before trying again: one exponential back-off, built on tenacity.

After the n-th failed try the wait is base·2^(n−1) seconds, at most the cap, and after
`max_attempts` tries there is none: the caller gives up (parks the message, marks the
delivery dead). Its users:
- a failed event handler's next attempt (lianxin.bus.retry);
- a notification's next attempt (services/notify: a Delivery's `failed`);
- a consumer waiting out an outage of the database or broker (lianxin.bus.consumer),
  spread ±20 % so that replicas do not all come back in step;
- a writer waiting for another writer's lease (lianxin.store.lease), a random wait up to
  the back-off's (contention: the waiters must not collide again);
- the benchmark's client retrying a busy service (scripts/bench/load.py).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from tenacity import RetryCallState, wait_exponential, wait_random_exponential
from tenacity.wait import wait_base


@dataclass(frozen=True)
class BackOff:
    """base·2^(n−1) seconds after the n-th failed try, at most `cap_seconds`; no wait (None)
    once `max_attempts` tries have been made (None: no limit)."""

    max_attempts: int | None = None
    base_seconds: float = 1.0
    cap_seconds: float = 600.0  # a wait past ten minutes is for whoever asks to choose

    def seconds(self, tries: int) -> float | None:
        """The wait after `tries` failed tries (at least one), or None when none is left."""
        if self.max_attempts is not None and tries >= self.max_attempts:
            return None
        return self._grown(tries)

    def delay(self, tries: int) -> timedelta | None:
        """`seconds` as a timedelta, for a time to schedule the next try at."""
        seconds = self.seconds(tries)
        return None if seconds is None else timedelta(seconds=seconds)

    def spread(self, tries: int, share: float) -> float:
        """The wait after `tries`, at random within ±`share` of it (no limit of tries)."""
        return self._grown(tries) * random.uniform(1 - share, 1 + share)

    def random_wait(self) -> wait_base:
        """For a tenacity `Retrying` loop: a wait drawn between nothing and the back-off's
        (full jitter), for writers contending for one thing."""
        return wait_random_exponential(multiplier=self.base_seconds, max=self.cap_seconds)

    def _grown(self, tries: int) -> float:
        """base·2^(tries−1), at most the cap. tenacity raises the power (an overflow is its
        `max`, here infinite); the cap is applied here rather than as tenacity's `max`,
        which it judges by logarithms, a float's last digit off at the cap."""
        grown = wait_exponential(multiplier=self.base_seconds, max=math.inf)(_after(tries))
        return min(self.cap_seconds, grown)


def _after(tries: int) -> RetryCallState:
    """tenacity's state of a call after `tries` tries: all its wait strategies read."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = tries
    return state
