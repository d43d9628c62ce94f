"""The communities' calendars (社区日历), one fact two services read: a desk's weekly
sessions in the community's zone, and the days no session is held (public holidays and
the community's own closing days). Cases runs a desk's time limits, appointments and
sessions on them (services/cases/domain/desk_calendar.py); roster does not count a
desk's shift on a holiday as the next one a waiting dispute is offered in
(services/roster/app/dispatch.py). Kept here rather than in either service so that
neither reads the other's data; the file (calendars.yaml beside this module) is read
once per process.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

CALENDARS = Path(__file__).with_name("calendars.yaml")


@cache
def community_calendars() -> dict[str, Any]:
    """calendars.yaml as written: `communities: {<id>: {timezone, holidays, desks}}`."""
    return yaml.safe_load(CALENDARS.read_text(encoding="utf-8")) or {}


@cache
def _closing_days(community_id: str) -> tuple[ZoneInfo, frozenset[date]] | None:
    community = (community_calendars().get("communities") or {}).get(community_id)
    if not community:
        return None
    days = frozenset(date.fromisoformat(str(day)) for day in community.get("holidays", ()))
    return ZoneInfo(community["timezone"]), days


def is_holiday(community_id: str, moment: datetime) -> bool:
    """Whether `moment` falls, in the community's zone, on a day its desks are closed
    (a community without a calendar closes on none)."""
    known = _closing_days(community_id)
    return known is not None and moment.astimezone(known[0]).date() in known[1]
