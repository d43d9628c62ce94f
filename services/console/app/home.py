"""The home page's figures (domain/figures.py): collected and resolved from metrics, the
waiting work counted from the case board's read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.console.app import hours
from services.console.app.board import BoardMirror, waiting_counts
from services.console.app.desk import Desk
from services.console.domain.figures import HOURS_WAITING, WORKLISTS, list_query, today_and_month


def figures(desk: Desk, mirror: BoardMirror, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    community = desk.session.scope.community_id
    today, month = today_and_month(now, zone)
    day = desk.services.summary(desk.token, community, str(today.since), str(today.until))
    span = desk.services.summary(desk.token, community, str(month.since), str(month.until))
    return {
        "timezone": day.get("timezone") or str(zone),
        "today": {"collected": day.get("collected", 0), "resolved": day.get("resolved", 0)},
        "month": {"collected": span.get("collected", 0), "resolved": span.get("resolved", 0)},
        "waiting": {
            **waiting_counts(mirror, desk.session, WORKLISTS, zone),
            HOURS_WAITING: hours.waiting_count(desk),
        },
        "links": {name: list_query(name, now, zone) for name in ("today", "month", *WORKLISTS)},
    }
