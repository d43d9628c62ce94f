"""The home page's figures (工作台): what each counts, where it links, and the days it
covers in the community's zone.

Collected and resolved (today and this month, in the 57/51 style) are the metrics API's
community totals. The waiting work — overdue, waiting for triage, waiting for
verification, extension requests — is counted from the cases API's listings within the
person's scope (their grids, for a grid leader or worker), each figure a link to the list
it counts. A listing answers at most LIST_LIMIT cases; a figure at the limit shows as
"200+". Hours waiting for approval (HOURS_WAITING) is roster's count of the community's
credits waiting for staff, linking to the approvals queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

LIST_LIMIT = 200


@dataclass(frozen=True)
class Worklist:
    """One list of waiting work: the cases API's filter, and what else a case must show."""

    name: str  # the label key and the list's URL: /lists/<name>
    query: Mapping[str, Any]
    extension_pending: bool = False

    def keeps(self, case: Mapping[str, Any]) -> bool:
        if not self.extension_pending:
            return True
        return (case.get("extension") or {}).get("state") == "pending"


WORKLISTS = {
    worklist.name: worklist
    for worklist in (
        Worklist("triage", {"state": "reported"}),
        Worklist("verification", {"state": "resolved"}),
        Worklist("overdue", {"overdue": "true"}),
        Worklist("extensions", {"state": "accepted"}, extension_pending=True),
    )
}


HOURS_WAITING = "hours"  # the figure's name and label key (list_hours); its list is /hours


@dataclass(frozen=True)
class Period:
    since: date
    until: date


# the lists behind today's and this month's figures: the cases reported since the day's or
# the month's start in the community's zone
PERIOD_LISTS = ("today", "month")


def period_query(name: str, now: datetime, zone: ZoneInfo) -> dict[str, str]:
    """The cases API's filter for a period's list: reported from its first moment on."""
    today, month = today_and_month(now, zone)
    first = (today if name == "today" else month).since
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    return {"from": start.isoformat()}


def today_and_month(now: datetime, zone: ZoneInfo) -> tuple[Period, Period]:
    """Today, and this month up to today, in the community's zone."""
    today = now.astimezone(zone).date()
    return Period(today, today), Period(today.replace(day=1), today)


def shown(count: int) -> str:
    return f"{LIST_LIMIT}+" if count >= LIST_LIMIT else str(count)


def counted(worklist: Worklist, cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [case for case in cases if worklist.keeps(case)]
