"""The Prometheus families of the business metrics: what a scrape reads, built from
the last refresh's Snapshot (gauges/collector.py makes it).

Label values are bounded: community, top-level category, channel, state, grid and
team codes from the area registry; never a case or person id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from lianxin.contracts.estate import PROPERTY_LEVELS
from services.metrics.domain import places, reports
from services.metrics.domain.durations import BOUNDS_SECONDS, KINDS, buckets
from services.metrics.domain.measures import CLOSED_STATES, NOTIFICATION_MEASURES, OPEN_STATES
from services.metrics.domain.totals import ALL, Totals

COUNTED_MEASURES = (
    "reported",
    "triaged",
    "dispatched",
    "accepted",
    "declined",
    "resolved",
    "resolved_on_time",
    "resolved_first_time",
    "closed",
    "reopened",
    "returned",
    "merged",
    "withdrawn",
    "overdue",
    "escalated",
    "rated",
    "satisfied",
    "emergencies",
    "offers_expired",
)
BREAKDOWN_MEASURES = ("reported", "resolved", "resolved_on_time", "overdue", "rated", "satisfied")
OUTCOMES = {measure: event.rpartition(".")[2] for event, measure in NOTIFICATION_MEASURES.items()}


@dataclass(frozen=True)
class Snapshot:
    """What the last refresh found; a scrape reads only this."""

    live: list[Totals] = field(default_factory=list)
    scores: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    depths: Mapping[str, int] = field(default_factory=dict)
    property_quarters: list[Mapping[str, Any]] = field(default_factory=list)
    aggregates_at: float | None = None
    broker_at: float | None = None


def families(snapshot: Snapshot) -> Iterator[Metric]:
    """Every family a scrape reads, from what the last refresh found."""
    yield from _case_families(snapshot.live)
    yield from _stock_families(snapshot.live)
    yield from _duration_families(snapshot.live)
    yield from _people_families(snapshot.live, snapshot.scores)
    yield from _property_families(snapshot.property_quarters)
    dead = GaugeMetricFamily(
        "lianxin_dead_letter_messages",
        "Messages parked in each consumer queue's dead-letter queue (<queue>.dead).",
        labels=["queue"],
    )
    for queue, depth in sorted(snapshot.depths.items()):
        dead.add_metric([queue], depth)
    yield dead
    refreshed = GaugeMetricFamily(
        "lianxin_stats_refreshed_timestamp_seconds",
        "When the business metrics were last read from their source (Unix time).",
        labels=["source"],
    )
    for source, at in (("aggregates", snapshot.aggregates_at), ("broker", snapshot.broker_at)):
        if at is not None:
            refreshed.add_metric([source], at)
    yield refreshed


def _community(totals: Totals) -> str:
    return totals.partition.community_id


def _case_families(live: list[Totals]) -> Iterator[Metric]:
    cases = CounterMetricFamily(
        "lianxin_cases",
        "Case events counted since the first, by community and measure (every replica "
        "reports the same stored totals: aggregate with max, not sum).",
        labels=["community", "measure"],
    )
    by_category = CounterMetricFamily(
        "lianxin_cases_by_category",
        "Case events by community, top-level category and measure.",
        labels=["community", "category", "measure"],
    )
    by_channel = CounterMetricFamily(
        "lianxin_cases_by_channel",
        "Case events by community, intake channel and measure.",
        labels=["community", "channel", "measure"],
    )
    notifications = CounterMetricFamily(
        "lianxin_notifications",
        "Notification outcomes by community, channel and outcome (delivered, failed, dead).",
        labels=["community", "channel", "outcome"],
    )
    for totals in live:
        community = _community(totals)
        overall = totals.measures(ALL)
        for measure in COUNTED_MEASURES:
            cases.add_metric([community, measure], overall.get(measure, 0))
        for dimension, family in (("category_group", by_category), ("channel", by_channel)):
            for value, measures in sorted(totals.by(dimension).items()):
                for measure in BREAKDOWN_MEASURES:
                    family.add_metric([community, value, measure], measures.get(measure, 0))
        for channel, measures in sorted(totals.by("notify_channel").items()):
            for measure, outcome in OUTCOMES.items():
                notifications.add_metric([community, channel, outcome], measures.get(measure, 0))
    yield from (cases, by_category, by_channel, notifications)


def _stock_families(live: list[Totals]) -> Iterator[Metric]:
    backlog = GaugeMetricFamily(
        "lianxin_cases_backlog",
        "Open cases now, by community and state.",
        labels=["community", "state"],
    )
    by_grid = GaugeMetricFamily(
        "lianxin_cases_backlog_by_grid", "Open cases now, by grid.", labels=["community", "grid"]
    )
    overdue = GaugeMetricFamily(
        "lianxin_cases_overdue", "Open cases past their time to resolve.", labels=["community"]
    )
    for totals in live:
        community = _community(totals)
        for state, count in sorted(_open_states(totals).items()):
            backlog.add_metric([community, state], count)
        overdue.add_metric([community], reports.backlog(totals)["overdue"])
        for grid in sorted({value for name, value, _ in totals.cells if name == "grid"}):
            by_grid.add_metric([community, grid], reports.backlog(totals, grid)["total"])
    yield from (backlog, by_grid, overdue)


def _open_states(totals: Totals) -> dict[str, int]:
    """Every open state of the lifecycle, and any other the cases have been in, at zero
    when empty now: a series ends at 0 rather than vanishing."""
    seen = {
        measure.removeprefix("state:")
        for name, _, measure in totals.cells
        if name == ALL[0] and measure.startswith("state:")
    }
    now = reports.backlog(totals)["by_state"]
    return {state: now.get(state, 0) for state in (seen | set(OPEN_STATES)) - CLOSED_STATES}


def _duration_families(live: list[Totals]) -> Iterator[Metric]:
    for kind in KINDS:
        family = HistogramMetricFamily(
            f"lianxin_case_{kind}_duration_seconds",
            f"Time from report to {kind}, per community, since the first case.",
            labels=["community"],
        )
        for totals in live:
            measures = totals.measures(ALL)
            cumulative, rows = 0, []
            for bound, count in buckets(kind, measures):
                cumulative += count
                label = "+Inf" if bound == BOUNDS_SECONDS[-1] else str(float(bound))
                rows.append((label, cumulative))
            family.add_metric(
                [_community(totals)], rows, sum_value=measures.get(f"{kind}_seconds", 0)
            )
        yield family


def _people_families(
    live: list[Totals], scores: Mapping[tuple[str, str, str], float]
) -> Iterator[Metric]:
    duty = GaugeMetricFamily(
        "lianxin_people_on_duty",
        "People on duty now, by community, grid and team (roster's latest count).",
        labels=["community", "grid", "team"],
    )
    households = GaugeMetricFamily(
        "lianxin_households", "Households of the community (area registry).", labels=["community"]
    )
    hours = GaugeMetricFamily(
        "lianxin_volunteer_hours",
        "Volunteer hours credited and approved to date, net of reversals.",
        labels=["community"],
    )
    for totals in live:
        community = _community(totals)
        for row in places.on_duty(totals):
            duty.add_metric([community, row["grid"], row["team"]], row["on_duty"])
        households.add_metric([community], places.households(totals, community))
        hours.add_metric([community], totals.measures(ALL).get("hours_milli", 0) / 1000)
    evaluation = GaugeMetricFamily(
        "lianxin_evaluation_score",
        "This quarter's evaluation score (0-100) of each ranked grid and team.",
        labels=["community", "kind", "unit"],
    )
    for (community, kind, unit), score in sorted(scores.items()):
        evaluation.add_metric([community, kind, unit], score)
    yield from (duty, households, hours, evaluation)


def _property_families(quarters: list[Mapping[str, Any]]) -> Iterator[Metric]:
    """Each estate's latest closed quarter of the property company's evaluation: its
    satisfaction, complaints per 100 households and verdict (0 none, 1 warning, 2
    rectification, 3 replacement). Labels: community and estate codes only."""
    satisfaction = GaugeMetricFamily(
        "lianxin_property_satisfaction_ratio",
        "Share of ballots satisfied or basically satisfied with the property company, in the "
        "estate's latest closed quarter.",
        labels=["community", "estate"],
    )
    complaints = GaugeMetricFamily(
        "lianxin_property_complaints_per_100_households",
        "Complaints about the property company per 100 households, latest closed quarter.",
        labels=["community", "estate"],
    )
    verdict = GaugeMetricFamily(
        "lianxin_property_verdict_level",
        "The latest closed quarter's verdict on the property company: 0 meets the thresholds, "
        "1 warning, 2 rectification plan, 3 replacement recommended.",
        labels=["community", "estate"],
    )
    for quarter in sorted(quarters, key=lambda q: (q["community_id"], q["estate_id"])):
        labels = [quarter["community_id"], quarter["estate_id"]]
        if quarter.get("satisfaction") is not None:
            satisfaction.add_metric(labels, quarter["satisfaction"])
        if quarter.get("households"):
            complaints.add_metric(labels, 100 * quarter["complaints"] / quarter["households"])
        verdict.add_metric(labels, PROPERTY_LEVELS.index(quarter["level"]))
    yield from (satisfaction, complaints, verdict)
