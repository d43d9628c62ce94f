"""The home page's figures (domain/figures.py), gathered from metrics and cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.console.app import hours
from services.console.app.desk import Desk
from services.console.domain.figures import (
    HOURS_WAITING,
    LIST_LIMIT,
    PERIOD_LISTS,
    WORKLISTS,
    counted,
    period_query,
    shown,
    today_and_month,
)


def figures(desk: Desk, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    community = desk.session.scope.community_id
    today, month = today_and_month(now, zone)
    day = desk.services.summary(desk.token, community, str(today.since), str(today.until))
    span = desk.services.summary(desk.token, community, str(month.since), str(month.until))
    waiting = {
        name: shown(len(counted(worklist, desk.listing(LIST_LIMIT, **worklist.query))))
        for name, worklist in WORKLISTS.items()
    }
    waiting[HOURS_WAITING] = shown(hours.waiting_count(desk))
    return {
        "timezone": day.get("timezone") or str(zone),
        "today": {"collected": day.get("collected", 0), "resolved": day.get("resolved", 0)},
        "month": {"collected": span.get("collected", 0), "resolved": span.get("resolved", 0)},
        "waiting": waiting,
    }


def worklist(desk: Desk, name: str, now: datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The cases behind a figure: a list of waiting work, or those reported today or this
    month (within the person's scope)."""
    if name in PERIOD_LISTS:
        return desk.listing(LIST_LIMIT, **period_query(name, now, zone))
    chosen = WORKLISTS[name]
    return list(counted(chosen, desk.listing(LIST_LIMIT, **chosen.query)))
