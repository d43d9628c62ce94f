"""The home page's figures (工作台): what each counts, where it links, and the days it
covers in the community's zone.

Collected and resolved (today and this month, in the 57/51 style) are the metrics API's
community totals. The waiting work — overdue, waiting for triage, waiting for
verification, extension requests — is counted exactly from the case board's read model
within the person's scope (their grids, for a grid leader or worker); each figure links to
the board filtered as it counts (domain/board.py), which names the figure as its heading.
Hours waiting for approval (HOURS_WAITING) is roster's count of the community's credits
waiting for staff, linking to the approvals queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

LIST_LIMIT = 200  # the most cases one listing of the cases API answers (the triage queue)

# each list of waiting work as the board's filter (its URL's query)
WORKLISTS: dict[str, dict[str, str]] = {
    "triage": {"state": "reported"},
    "verification": {"state": "resolved"},
    "overdue": {"overdue": "yes"},
    "extensions": {"state": "accepted", "extension": "pending"},
}
# the lists behind today's and this month's figures: the cases reported since the day's or
# the month's start in the community's zone
PERIOD_LISTS = ("today", "month")


HOURS_WAITING = "hours"  # the figure's name and label key (list_hours); its list is /hours


@dataclass(frozen=True)
class Period:
    since: date
    until: date


def list_query(name: str, now: datetime, zone: ZoneInfo) -> dict[str, str]:
    """The board's filter behind a figure: a list of waiting work, or the cases reported
    from the first day of today or this month on."""
    if name in WORKLISTS:
        return dict(WORKLISTS[name])
    today, month = today_and_month(now, zone)
    return {"from": str((today if name == "today" else month).since)}


def list_named(query: dict[str, str], now: datetime, zone: ZoneInfo) -> str | None:
    """The figure whose list a board's filter is, if it is exactly one's."""
    names = (*PERIOD_LISTS, *WORKLISTS)
    return next((name for name in names if list_query(name, now, zone) == query), None)


def today_and_month(now: datetime, zone: ZoneInfo) -> tuple[Period, Period]:
    """Today, and this month up to today, in the community's zone."""
    today = now.astimezone(zone).date()
    return Period(today, today), Period(today.replace(day=1), today)
