"""CSV exports of the statistics: one tidy table per report, for a spreadsheet.

Text that a spreadsheet would take for a formula (=, +, -, @ first) is quoted
with a leading apostrophe: ids and names come from other systems.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lianxin.spreadsheets import to_csv
from services.metrics.domain.reports import BRIEF


def summary_csv(summary: Mapping[str, Any]) -> str:
    """The whole community (or grid) first, then each breakdown's rows."""
    head = {
        "scope": "grid" if summary.get("grid_id") else "community",
        "value": summary.get("grid_id") or summary["community_id"],
        **{key: summary[key] for key in BRIEF if key in summary},
        "median_resolve_seconds": summary["time_to_resolve"]["median_seconds"],
        "first_time_rate": summary["first_time_rate"],
        "reopen_rate": summary["reopen_rate"],
        "return_rate": summary["return_rate"],
        "backlog": summary["backlog"]["total"],
        "backlog_overdue": summary["backlog"]["overdue"],
    }
    rows = [head]
    for name in ("by_grid", "by_team", "by_category", "by_channel"):
        for value, brief in summary.get(name, {}).items():
            rows.append({"scope": name.removeprefix("by_"), "value": value, **brief})
    columns = [
        "scope",
        "value",
        *BRIEF,
        "first_time_rate",
        "reopen_rate",
        "return_rate",
        "backlog",
        "backlog_overdue",
    ]
    return to_csv(columns, rows)


def trend_csv(report: Mapping[str, Any]) -> str:
    return to_csv(["period", "from", "to", *BRIEF], report["periods"])


def hotline_csv(report: Mapping[str, Any]) -> str:
    total = {
        "month": f"{report['from']}..{report['to']}",
        "hotline_cases": report["hotline_cases"],
        "per_1000_households": report["per_1000_households"],
        "last_year_hotline_cases": report["last_year"]["hotline_cases"],
        "last_year_per_1000_households": report["last_year"]["per_1000_households"],
        "change": report["change"],
        "households": report["households"],
    }
    columns = [
        "month",
        "hotline_cases",
        "per_1000_households",
        "last_year_hotline_cases",
        "last_year_per_1000_households",
        "change",
        "households",
    ]
    return to_csv(columns, [*report["months"], total])


def evaluation_csv(report: Mapping[str, Any]) -> str:
    red = {row["unit"] for row in report["red_list"]}
    black = {row["unit"] for row in report["black_list"]}
    rows = [
        {
            **row,
            "list": "red" if row["unit"] in red else "black" if row["unit"] in black else "",
            "formula": report["formula"]["en"],
        }
        for row in report["units"]
    ]
    weights = list(report["formula"]["weights"])
    columns = ["rank", "unit", "name", "score", "list", "collected", "resolved", *weights]
    units = to_csv([*columns, "median_resolve_seconds", "formula"], rows)
    # the desk's quarter is the community's, not a unit's: a table of its own below
    desk = to_csv(["desk", "count"], [{"desk": k, "count": n} for k, n in report["desk"].items()])
    return f"{units}\r\n{desk}"


def volunteers_csv(report: Mapping[str, Any]) -> str:
    columns = [
        "person_id",
        "hours",
        "pending_hours",
        "accepted",
        "resolved",
        "declined",
        "offers_expired",
    ]
    return to_csv(columns, report["volunteers"])
