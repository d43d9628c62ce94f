"""The residents' pact as the console's pages see it (居民公约红黑榜). Plain Python: no I/O.

The estate service holds the pact and decides everything; the pages only say which
household a unit and a room name (the register's ids are `<unit>-<room>`:
`jingxiang-b11-u3-202`), when something was seen from the date and time a form gives in
the community's zone, and which observations wait for staff (the quarter, current in the
community's zone, is lianxin/quarters.py's).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

ROOM = re.compile(r"^[A-Za-z0-9-]{1,16}$")
WAITING = ("to_decide", "stood")  # what staff may decide now
KINDS = ("breach", "commendation")
DECISIONS = ("upheld", "withdrawn")


def household_id(unit_code: str, room: str) -> str:
    """The register's id of the household in `room` of the unit."""
    return f"{unit_code}-{room}"


def seen_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The form's local date and time, in the community's zone."""
    return datetime.combine(day, at, tzinfo=zone)


def waiting(observations: list[dict]) -> list[dict]:
    """The observations staff may decide now (answered, or stood unanswered), oldest first."""
    return [seen for seen in observations if seen["state"] in WAITING]
