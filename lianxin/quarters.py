"""Calendar quarters, named one way across the project: `2026-Q4`. Plain Python: no I/O.

A quarter is what the property company is judged on, what the residents' pact lists its
red and black households by, and what metrics scores grids over; each service names it
the same way in its paths, queries, stored documents and events (the property contract
named quarters `2026-Q4` first), and computes it here. Which quarter a moment falls in is
the community's: at 23:30 UTC on 31 December it is already 07:30 on 1 January in Shanghai,
next year's first quarter, while UTC is still in the fourth; so `Quarter.of` takes the
community's zone.

A year starts with 2 (2000–2999): a name such as `0000-Q1` is refused as bad input, never
left to fail as a date the calendar cannot hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from marshmallow import ValidationError, validate

PATTERN = r"^2[0-9]{3}-Q[1-4]$"  # ASCII digits: `\d` would take a full-width ２０２６
NAME = re.compile(PATTERN)
EXAMPLE = "A quarter such as 2026-Q4."


class WholeName(validate.Regexp):
    """A Regexp that must match the whole value: marshmallow's `match` with `$` alone lets
    a name with a trailing newline through."""

    def __call__(self, value: str) -> str:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# the one validator every schema naming a quarter shares (estate, console, metrics, contracts)
QUARTER = WholeName(NAME, error=EXAMPLE)


class NotAQuarter(ValueError):
    """A name, or a year, that is no quarter of ours: bad input (4xx), not a failure."""


@dataclass(frozen=True)
class Quarter:
    """One calendar quarter: its year and its number (1–4). Its name sorts in time order,
    which estate's and metrics' comparisons of stored names rely on."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not (2000 <= self.year <= 2999 and 1 <= self.number <= 4):
            raise NotAQuarter(f"Not a quarter: {self.year}-Q{self.number}. {EXAMPLE}")

    @classmethod
    def parse(cls, name: str) -> Quarter:
        """The quarter `name` names (`2026-Q4`); NotAQuarter for anything else."""
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise NotAQuarter(f"Not a quarter: {name!r}. {EXAMPLE}")
        return cls(int(name[:4]), int(name[-1]))

    @classmethod
    def of_day(cls, day: date) -> Quarter:
        """The quarter a calendar day is in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def of(cls, at: datetime, zone: tzinfo) -> Quarter:
        """The quarter a moment falls in, in the community's zone (`at` must be aware)."""
        return cls.of_day(at.astimezone(zone).date())

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        if self.number == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - timedelta(days=1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def recent(self, count: int) -> list[Quarter]:
        """This quarter and the `count - 1` before it, latest first (a page's choices)."""
        quarters = [self]
        while len(quarters) < count:
            quarters.append(quarters[-1].previous())
        return quarters

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"
