"""The statistics page's reports, read from metrics as the signed-in person, and their CSV
downloads (domain/stats.py says what is asked for whom and how it is drawn)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from types import MappingProxyType
from typing import Any

from services.console.apis import Download
from services.console.app.desk import Desk
from services.console.domain.queue import NotVisible
from services.console.domain.stats import (
    BREAKDOWNS,
    REPORTS,
    Area,
    breakdown_chart,
    category_names,
    evaluation_chart,
    evaluation_shown,
    grid_names,
    hotline_chart,
    report_query,
    trend_chart,
)


def statistics(
    desk: Desk,
    area: Area,
    since: date | None,
    until: date | None,
    language: str,
    channels: Mapping[str, str] = MappingProxyType({}),
) -> dict[str, Any]:
    """The area's summary, daily trend and hotline rate over the period, the evaluation of
    the quarter the period ends in, and their charts, as metrics answered them (grids and
    categories by their names in the page's language, and channels by `channels`).

    The reports are asked at once (green threads in the service): each reads its days
    from metrics' store, and the page waits for the slowest rather than for their sum.
    Without a last day, metrics' period ends today in the community's zone and its
    evaluation is of this quarter: the same quarter."""
    with ThreadPoolExecutor(max_workers=len(REPORTS) + 1) as pool:
        asked = {
            report: pool.submit(
                desk.services.stats, desk.token, report, report_query(area, report, since, until)
            )
            for report in REPORTS
        }
        taxonomy = (
            pool.submit(desk.services.categories, desk.token) if area.whole_community else None
        )
        answers = {report: future.result() for report, future in asked.items()}
        categories = taxonomy.result() if taxonomy else []
    summary, evaluation = answers["summary"], evaluation_shown(answers["evaluation"], area)
    charts = [
        trend_chart(answers["trend"]),
        hotline_chart(answers["hotline"]),
        evaluation_chart(evaluation),
    ]
    if area.whole_community:
        names = {
            "by_grid": grid_names(evaluation),
            "by_category": category_names(categories, language),
            "by_channel": dict(channels),
        }
        charts += [
            breakdown_chart(name, summary[name]).named(names.get(name, {})) for name in BREAKDOWNS
        ]
    return {
        "summary": summary,
        "hotline": answers["hotline"],
        "evaluation": evaluation,
        "charts": {chart.id: chart for chart in charts},
        # the CSV downloads' query: the same days and area as the page's
        "downloads": area.page_query(summary["from"], summary["to"]),
    }


def export(desk: Desk, area: Area, report: str, since: date | None, until: date | None) -> Download:
    """A report's CSV, as metrics makes it. The evaluation ranks every grid: a grid
    leader's or worker's is not theirs to download (their own rows are on the page)."""
    if report not in REPORTS or (report == "evaluation" and not area.whole_community):
        raise NotVisible(f"No report {report}.")
    query = report_query(area, report, since, until)
    return desk.services.stats_csv(desk.token, report, query)
