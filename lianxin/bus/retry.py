"""What to do with a message whose handler failed: retry later, or park it (DESIGN.md rule 5)."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import ValidationError


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
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0

    def decide(self, attempts_so_far: int, error: BaseException) -> Retry | DeadLetter:
        """`attempts_so_far` counts the attempt that just failed."""
        if isinstance(error, (ValidationError, PermanentError)):
            return DeadLetter(f"permanent: {type(error).__name__}", attempts_so_far)
        if attempts_so_far >= self.max_attempts:
            return DeadLetter(f"gave up after {attempts_so_far} attempts", attempts_so_far)
        doublings = min(attempts_so_far - 1, 32)  # past that the cap rules; no float overflow
        delay = min(self.max_delay, self.base_delay * 2**doublings)
        return Retry(delay, attempts_so_far)
