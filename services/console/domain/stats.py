"""What the statistics page (统计) asks metrics, for whom, and how its charts show the answers.

Metrics owns every number: the page passes its answers through unchanged, each chart with
the same numbers as a table (for a screen reader, and for anyone who wants the figures).
Metrics judges the person's community; within it the console narrows as everywhere else
(domain/sessions.py): staff read the community, with its breakdowns by grid, team and
category; a grid leader or grid worker reads one of their grids (metrics answers the
summary, the trend and the hotline rate per grid, but breaks down only a whole community),
and of the quarterly evaluation, which ranks every grid, only their own grids' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from lianxin.access.actors import CHANNELS
from lianxin.quarters import Quarter
from services.console.domain.queue import NotVisible
from services.console.domain.sessions import Scope

MAX_RANGE_DAYS = 366  # metrics' own limit (services/metrics/app/stats.py)
# the reports the page reads, each also a CSV download through the console
REPORTS = ("summary", "trend", "hotline", "evaluation")
# a staff member's breakdowns of the community, from the summary (by channel: the app,
# the hotline, a grid patrol, a resident's scan-to-report page, ...)
BREAKDOWNS = ("by_grid", "by_team", "by_category", "by_channel")
COUNTS = ("collected", "resolved")  # what the trend and the breakdowns draw
RATES = frozenset({"resolution_rate", "on_time_rate", "satisfaction_rate", "first_time_rate",
                   "reopen_rate", "return_rate", "change"})  # fmt: skip
DURATIONS = frozenset({"median_resolve_seconds"})
DAYS = validate.Range(date(2000, 1, 1), date(2100, 12, 31))  # metrics' own bounds


class StatsQuery(Schema):
    """The page's query: the period's days (metrics' default when absent) and, for a grid
    leader or worker of several grids, which of them. Anything else (a community) is
    ignored: the community is the session's."""

    class Meta:
        unknown = EXCLUDE

    since = fields.Date(data_key="from", validate=DAYS)
    until = fields.Date(data_key="to", validate=DAYS)
    grid = fields.String(validate=validate.Length(min=1, max=64))


def period_errors(since: date | None, until: date | None) -> dict[str, str]:
    """What metrics would refuse in a period, as the field and its label key."""
    if since and until and since > until:
        return {"from": "stats_error_order"}
    if since and until and (until - since).days > MAX_RANGE_DAYS:
        return {"to": "stats_error_range"}
    return {}


@dataclass(frozen=True)
class Area:
    """Whose figures the page shows: the community, or one grid of it."""

    community_id: str
    grid_id: str | None
    grids: tuple[str, ...]  # the grids the person may choose among (none for staff)

    @property
    def whole_community(self) -> bool:
        return self.grid_id is None

    def query(self, since: date | None, until: date | None) -> dict[str, str]:
        """Metrics' query for a period's report of this area."""
        query = {"community_id": self.community_id}
        if self.grid_id:
            query["grid_id"] = self.grid_id
        if since:
            query["from"] = since.isoformat()
        if until:
            query["to"] = until.isoformat()
        return query

    def page_query(self, since: str, until: str) -> dict[str, str]:
        """The console's own query (of the page, of a CSV download) for these days."""
        query = {"from": since, "to": until}
        if self.grid_id:
            query["grid"] = self.grid_id
        return query


def area_of(scope: Scope, asked_grid: str | None) -> Area:
    """Staff: the community (a grid asked for is not theirs to narrow to here); a grid
    leader or worker: the grid asked for, or their first. A grid outside their grids is
    not found, as a case of it is."""
    if scope.grids is None:
        return Area(scope.community_id, None, ())
    grids = tuple(sorted(scope.grids))
    chosen = asked_grid or (grids[0] if grids else None)
    if chosen is None or chosen not in scope.grids:
        raise NotVisible("No such grid.")
    return Area(scope.community_id, chosen, grids)


def evaluation_query(area: Area, last_day: date | None) -> dict[str, Any]:
    """The evaluation of the community's grids in the quarter that holds the period's last
    day (metrics' current quarter when the period is metrics' default)."""
    query: dict[str, Any] = {"community_id": area.community_id, "of": "grid"}
    if last_day:
        query["quarter"] = str(Quarter.of_day(last_day))
    return query


def report_query(area: Area, report: str, since: date | None, until: date | None) -> dict:
    """Metrics' query for one of the page's reports over the period: the trend by day;
    the evaluation of the quarter the period ends in."""
    if report == "evaluation":
        return evaluation_query(area, until)
    query: dict[str, Any] = area.query(since, until)
    if report == "trend":
        query["interval"] = "day"
    return query


def evaluation_shown(report: Mapping[str, Any], area: Area) -> dict[str, Any]:
    """The evaluation as the person may read it: all of it for staff; for a grid leader
    or worker, their own grids' rows (and places on the red or black list) only."""
    if area.whole_community:
        return dict(report)
    own = set(area.grids)

    def mine(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [row for row in rows if row.get("unit") in own]

    return {
        **report,
        "units": mine(report["units"]),
        "red_list": mine(report["red_list"]),
        "black_list": mine(report["black_list"]),
    }


# -- charts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    key: str  # the field of metrics' answer it shows (and its label key)
    data: list[Any]


@dataclass(frozen=True)
class Chart:
    """One chart and its table: the axis's values and each series' values, in metrics'
    order, as metrics answered them. The table shows every series, the picture those
    named in `drawn`."""

    id: str
    kind: str  # ECharts' series type: "line" or "bar"
    axis: str  # the field naming each row (and the label key of its column)
    categories: list[str]
    series: list[Series]
    drawn: tuple[str, ...]
    names: Mapping[str, str] = field(default_factory=dict)  # a category's name, if it has one

    def named(self, names: Mapping[str, str]) -> Chart:
        """The chart with its categories shown by their names (codes mean little to staff)."""
        return replace(self, names=names)

    @property
    def shown(self) -> list[str]:
        return [self.names.get(category, category) for category in self.categories]

    def spec(self, name_of: Callable[[str], str]) -> dict[str, Any]:
        """What stats.js draws (the page's JSON island), each series named in the page's
        language."""
        return {
            "id": self.id,
            "kind": self.kind,
            "categories": self.shown,
            "series": [
                {"key": s.key, "name": name_of(s.key), "data": s.data}
                for s in self.series
                if s.key in self.drawn
            ],
        }

    def rows(self) -> list[tuple[str, str, list[Any]]]:
        """Each category, its name, and its value in each series."""
        return [
            (category, shown, [s.data[i] for s in self.series])
            for i, (category, shown) in enumerate(zip(self.categories, self.shown, strict=True))
        ]


def chart_of_rows(
    chart_id: str,
    kind: str,
    axis: str,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    drawn: Sequence[str],
) -> Chart:
    """A chart of a list of metrics' rows, each row one category (its `axis` field)."""
    return Chart(
        chart_id,
        kind,
        axis,
        [str(row[axis]) for row in rows],
        [Series(key, [row.get(key) for row in rows]) for key in keys],
        tuple(drawn),
    )


def breakdown_chart(name: str, breakdown: Mapping[str, Mapping[str, Any]]) -> Chart:
    """A breakdown (by grid, team or category): collected and resolved drawn, every
    figure of metrics' brief in its table, in metrics' order."""
    rows = [{"value": value, **brief} for value, brief in breakdown.items()]
    keys = list(next(iter(breakdown.values()), {})) or COUNTS
    return chart_of_rows(f"chart-{name.replace('_', '-')}", "bar", "value", rows, keys, COUNTS)


def trend_chart(trend: Mapping[str, Any]) -> Chart:
    return chart_of_rows("chart-trend", "line", "period", trend["periods"], COUNTS, COUNTS)


HOTLINE_KEYS = (
    "hotline_cases",
    "per_1000_households",
    "last_year_hotline_cases",
    "last_year_per_1000_households",
)


def hotline_chart(hotline: Mapping[str, Any]) -> Chart:
    drawn = ("per_1000_households", "last_year_per_1000_households")
    return chart_of_rows("chart-hotline", "bar", "month", hotline["months"], HOTLINE_KEYS, drawn)


def evaluation_chart(evaluation: Mapping[str, Any]) -> Chart:
    """Each unit's score drawn, the unit by its name; its table has the rank, the counts
    and each rate the formula weighs."""
    keys = ("rank", "score", "collected", "resolved", *evaluation["formula"]["weights"])
    units = evaluation["units"]
    chart = chart_of_rows("chart-evaluation", "bar", "unit", units, keys, ("score",))
    return chart.named(grid_names(evaluation))


def grid_names(evaluation: Mapping[str, Any]) -> dict[str, str]:
    """The grids' names as metrics gives them with the evaluation (from the area registry)."""
    return {unit["unit"]: unit["name"] for unit in evaluation["units"] if unit.get("name")}


def category_names(categories: Iterable[Mapping[str, Any]], language: str) -> dict[str, str]:
    """The taxonomy's names of categories (cases' `/v1/categories`) in the page's language."""
    return {
        category["code"]: category["name"].get(language, category["code"])
        for category in categories
        if category.get("name")
    }


def channel_names(word: Callable[[str], str]) -> dict[str, str]:
    """The intake channels by the words the board names them with (`board_channel_*`)."""
    return {channel: word(f"board_channel_{channel}") for channel in CHANNELS}


SHARED_LABELS = frozenset({"collected", "resolved"})  # the home page's words, the same here


def label_of(key: str) -> str:
    """The label key of a figure of metrics' answers."""
    return key if key in SHARED_LABELS else f"stats_{key}"


def shown_value(key: str, value: Any) -> str:
    """A figure as the page shows it (its cell keeps metrics' own number in data-value):
    rates as percentages, times in minutes or hours, nothing measured as a dash."""
    if value is None:
        return "—"
    if key in RATES:
        return f"{value * 100:.1f}%"
    if key in DURATIONS:
        return f"{value / 60:.0f} min" if value < 3600 else f"{value / 3600:.1f} h"
    return str(value)
