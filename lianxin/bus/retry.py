"""What to do with a message whose handler failed: retry later, or park it (rule 5 of
docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import ValidationError

from lianxin.backoff import BackOff


class PermanentError(Exception):
    """A failure that retrying cannot cure; the message goes straight to the dead-letter queue."""


@dataclass(frozen=True)
class Retry:
    delay_seconds: float
    attempt: int


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    attempt: int


@dataclass(frozen=True)
class RetryPolicy:
    """A failed handler's message: parked at once when retrying cannot cure it, else
    retried after the back-off (lianxin.backoff) until `max_attempts`, then parked."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0

    def decide(self, attempts_so_far: int, error: BaseException) -> Retry | DeadLetter:
        """`attempts_so_far` counts the attempt that just failed."""
        if isinstance(error, (ValidationError, PermanentError)):
            return DeadLetter(f"permanent: {type(error).__name__}", attempts_so_far)
        back_off = BackOff(self.max_attempts, self.base_delay, self.max_delay)
        delay = back_off.seconds(attempts_so_far)
        if delay is None:
            return DeadLetter(f"gave up after {attempts_so_far} attempts", attempts_so_far)
        return Retry(delay, attempts_so_far)
