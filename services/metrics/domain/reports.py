"""The numbers a community is judged by, read from summed day totals.

Definitions (the field's terms in brackets):
- collected: cases reported in the period; resolved: resolutions in the period
  (the field's "57 collected, 51 resolved");
- resolution rate (办结率): of the cases collected in the period, the share resolved
  since (counted on the day each case was reported, so cohorts never mix);
- on-time rate (按时办结率): resolutions within the time limit / resolutions;
- first-time resolution (一次完成率): resolutions of never-reopened cases / resolutions;
- reopen rate (重办率): reopenings / resolutions; return rate (回退率): cases returned
  (退单) / collected; satisfaction rate (满意率): satisfied ratings / ratings;
- backlog: open cases now, by state (a point in time, not a difference of flows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from lianxin.privacy import mask_phone
from services.metrics.domain.durations import timing
from services.metrics.domain.measures import (
    CARE_MEASURES,
    CASE_MEASURES,
    CLOSED_STATES,
    FUND_MEASURES,
    NOTIFICATION_MEASURES,
    PACT_MEASURES,
    grid_channel,
)
from services.metrics.domain.totals import ALL, Totals, add_up, add_up_by, rate

TOTALS = (
    *CASE_MEASURES.values(),
    "resolved_on_time",
    "resolved_first_time",
    "closed_on_time",
    "cohort_resolved",
    "overdue_accept",
    "overdue_resolve",
    "satisfied",
    "extensions_approved",
    "disputes_taken",
    "disputes_settled",
    "disputes_referred",
    "follow_ups_done",
    "follow_ups_on_time",
    "follow_ups_overdue",
    "referrals_answered",
    "offers_expired",
    *NOTIFICATION_MEASURES.values(),
)
# The figures of a breakdown's or a period's row (a brief), in the order they are shown
BRIEF = (
    "collected",
    "resolved",
    "resolution_rate",
    "on_time_rate",
    "satisfaction_rate",
    "overdue",
    "median_resolve_seconds",
)
BREAKDOWNS = {name: f"by_{name}" for name in ("category", "channel", "grid", "team")}
INTERVALS = ("day", "week", "month")
HOTLINE = "hotline"


def dimension_of(grid_id: str | None) -> tuple[str, str]:
    return ("grid", grid_id) if grid_id else ALL


def figures(flows: Mapping[str, int]) -> dict[str, Any]:
    """Counts, rates and times of one community or grid over a period."""
    rated = flows.get("rated", 0)
    return {
        "collected": flows.get("reported", 0),
        "resolved": flows.get("resolved", 0),
        "resolution_rate": rate(flows.get("cohort_resolved", 0), flows.get("reported", 0)),
        "on_time_rate": rate(flows.get("resolved_on_time", 0), flows.get("resolved", 0)),
        "first_time_rate": rate(flows.get("resolved_first_time", 0), flows.get("resolved", 0)),
        "reopen_rate": rate(flows.get("reopened", 0), flows.get("resolved", 0)),
        "return_rate": rate(flows.get("returned", 0), flows.get("reported", 0)),
        "satisfaction_rate": rate(flows.get("satisfied", 0), rated),
        "satisfaction_mean": round(flows.get("rating_sum", 0) / rated, 2) if rated else None,
        "overdue": flows.get("overdue", 0),
        "escalated": flows.get("escalated", 0),
        "time_to_accept": timing("accept", flows),
        "time_to_resolve": timing("resolve", flows),
    }


def backlog(live: Totals | None, grid_id: str | None = None) -> dict[str, Any]:
    """Open cases now, by state, and how many of them are past their time limit. A state
    briefly below zero (a transition counted before the case's arrival in that state)
    shows as zero."""
    stocks = live.measures(dimension_of(grid_id)) if live else Counter()
    by_state = {
        measure.removeprefix("state:"): max(0, count)
        for measure, count in sorted(stocks.items())
        if measure.startswith("state:") and measure.removeprefix("state:") not in CLOSED_STATES
    }
    return {
        "total": sum(by_state.values()),
        "by_state": {state: count for state, count in by_state.items() if count},
        "overdue": max(0, stocks.get("overdue_open", 0)),
    }


def summarise(days: list[Totals], live: Totals | None, grid_id: str | None = None) -> dict:
    """A community's (or grid's) summary over the given days, with its backlog now."""
    flows = add_up(days, dimension_of(grid_id))
    summary = {
        **figures(flows),
        "totals": {measure: flows.get(measure, 0) for measure in TOTALS},
        "volunteer_hours": flows.get("hours_milli", 0) / 1000,
        "activities": {
            "held": flows.get("activities_held", 0),
            "attended": flows.get("activities_attended", 0),
            "minutes_credited": flows.get("activity_minutes", 0),
        },
        "care_rounds": {
            name.removeprefix("care_rounds_"): flows.get(name, 0) for name in CARE_MEASURES
        },
        "fund": {name.removeprefix("fund_"): flows.get(name, 0) for name in FUND_MEASURES},
        "pact": {name.removeprefix("pact_"): flows.get(name, 0) for name in PACT_MEASURES},
        "backlog": backlog(live, grid_id),
    }
    if grid_id is None:
        for dimension, name in BREAKDOWNS.items():
            values = add_up_by(days, dimension)
            summary[name] = {value: _brief(counts) for value, counts in sorted(values.items())}
    return summary


def _brief(flows: Mapping[str, int]) -> dict[str, Any]:
    full = figures(flows)
    full["median_resolve_seconds"] = full["time_to_resolve"]["median_seconds"]
    return {key: full[key] for key in BRIEF}


# -- trends -------------------------------------------------------------------------------


def period_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if interval == "month":
        return day.replace(day=1)
    return day


def trend(
    days: Mapping[date, Totals], since: date, until: date, interval: str, grid_id: str | None
) -> list[dict[str, Any]]:
    """One row per day, week or month of the range (clipped to it), empty ones included."""
    periods: dict[date, list[date]] = {}
    day = since
    while day <= until:
        periods.setdefault(period_start(day, interval), []).append(day)
        day += timedelta(days=1)
    rows = []
    for start, members in periods.items():
        flows = add_up((days[d] for d in members if d in days), dimension_of(grid_id))
        rows.append(
            {
                "period": _label(start, interval),
                "from": members[0].isoformat(),
                "to": members[-1].isoformat(),
                **_brief(flows),
            }
        )
    return rows


def _label(start: date, interval: str) -> str:
    if interval == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


# -- the hotline trend --------------------------------------------------------------------


def same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def hotline_cases(days: Iterable[Totals], grid_id: str | None) -> int:
    """Cases the 12345 hotline brought in."""
    if grid_id is None:
        return add_up(days, ("channel", HOTLINE)).get("reported", 0)
    return add_up(days, ("grid_channel", grid_channel(grid_id, HOTLINE))).get("reported", 0)


def per_thousand(cases: int, households: int) -> float | None:
    return round(cases * 1000 / households, 2) if households else None


def hotline(
    this_year: Mapping[date, Totals],
    last_year: Mapping[date, Totals],
    since: date,
    until: date,
    households: int,
    grid_id: str | None,
) -> dict[str, Any]:
    """Hotline cases per 1,000 households in the period against the same period a year
    before (the field's "complaint rate down 80%"), with the months of both."""
    now = hotline_cases(this_year.values(), grid_id)
    before = hotline_cases(last_year.values(), grid_id)
    rate_now, rate_before = per_thousand(now, households), per_thousand(before, households)
    change = round((now - before) / before, 4) if before else None
    months = []
    for row in trend(this_year, since, until, "month", grid_id):
        start, end = date.fromisoformat(row["from"]), date.fromisoformat(row["to"])
        month_days = [this_year[d] for d in this_year if start <= d <= end]
        earlier = [
            last_year[d]
            for d in last_year
            if same_day_last_year(start) <= d <= same_day_last_year(end)
        ]
        cases, cases_before = hotline_cases(month_days, grid_id), hotline_cases(earlier, grid_id)
        months.append(
            {
                "month": row["period"],
                "hotline_cases": cases,
                "per_1000_households": per_thousand(cases, households),
                "last_year_hotline_cases": cases_before,
                "last_year_per_1000_households": per_thousand(cases_before, households),
            }
        )
    return {
        "households": households,
        "hotline_cases": now,
        "per_1000_households": rate_now,
        "last_year": {
            "from": same_day_last_year(since).isoformat(),
            "to": same_day_last_year(until).isoformat(),
            "hotline_cases": before,
            "per_1000_households": rate_before,
        },
        "change": change,
        "months": months,
    }


# -- volunteers ---------------------------------------------------------------------------


def volunteers(days: Iterable[Totals]) -> dict[str, Any]:
    """Each volunteer's hours and cases in the period, most hours first. People appear by
    id only: names never reach statistics, and an id that holds a phone number (a mobile
    is a valid roster id) shows it masked, as everywhere in statistics."""
    rows = []
    for person, flows in add_up_by(days, "person").items():
        rows.append(
            {
                "person_id": mask_phone(person),
                "hours": flows.get("hours_milli", 0) / 1000,
                "pending_hours": flows.get("hours_pending_milli", 0) / 1000,
                "accepted": flows.get("accepted", 0),
                "resolved": flows.get("resolved", 0),
                "declined": flows.get("declined", 0),
                "offers_expired": flows.get("offers_expired", 0),
            }
        )
    rows.sort(key=lambda row: (-row["hours"], -row["resolved"], row["person_id"]))
    return {
        "people": len(rows),
        "hours": round(sum(row["hours"] for row in rows), 3),
        "resolved": sum(row["resolved"] for row in rows),
        "volunteers": rows,
    }
