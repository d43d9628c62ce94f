"""The residents' pact as the console's pages see it (居民公约红黑榜). Plain Python: no I/O.

The estate service holds the pact and decides everything; the pages only say which
quarter is current in the community's zone, which household a unit and a room name (the
register's ids are `<unit>-<room>`: `jingxiang-b11-u3-202`), when something was seen
from the date and time a form gives in the community's zone, and which observations wait
for staff.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

QUARTER = re.compile(r"^\d{4}Q[1-4]$")
ROOM = re.compile(r"^[A-Za-z0-9-]{1,16}$")
WAITING = ("to_decide", "stood")  # what staff may decide now
KINDS = ("breach", "commendation")
DECISIONS = ("upheld", "withdrawn")


def quarter_of(at: datetime, zone: ZoneInfo) -> str:
    """The quarter `at` falls in, in the community's zone: `2026Q4`."""
    day = at.astimezone(zone).date()
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def recent_quarters(now: datetime, zone: ZoneInfo, count: int = 4) -> list[str]:
    """The current quarter and the ones before it, latest first."""
    day = now.astimezone(zone).date()
    index = day.year * 4 + (day.month - 1) // 3
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(index, index - count, -1)]


def household_id(unit_code: str, room: str) -> str:
    """The register's id of the household in `room` of the unit."""
    return f"{unit_code}-{room}"


def seen_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The form's local date and time, in the community's zone."""
    return datetime.combine(day, at, tzinfo=zone)


def waiting(observations: list[dict]) -> list[dict]:
    """The observations staff may decide now (answered, or stood unanswered), oldest first."""
    return [seen for seen in observations if seen["state"] in WAITING]
