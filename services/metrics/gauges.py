"""Business metrics for Prometheus, from the stored aggregates.

Reading the aggregates (not counting in process memory) means every replica
reports the same numbers, so several replicas never double count: rules and
dashboards take `max without (instance)` across them. A timer rereads the
aggregates every few seconds (`refresh_aggregates`) and the dead-letter queues'
depths (`refresh_dead_letters`); a scrape only reads what the last refresh found,
so it never waits on the database or the broker, even while they are away.

Label values are bounded: community, top-level category, channel, state, grid and
team codes from the area registry; never a case or person id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from lianxin.config import Settings
from lianxin.instrumentation import register_collector
from lianxin.store.repository import StoreProvider
from services.metrics import places, reports
from services.metrics.domain import ALL, Totals, add_up_by, days_between
from services.metrics.durations import BOUNDS_SECONDS, KINDS, buckets
from services.metrics.evaluation import (
    UNIT_KINDS,
    evaluate,
    load_policy,
    quarter_of,
    quarter_range,
)
from services.metrics.measures import CLOSED_STATES, NOTIFICATION_MEASURES, OPEN_STATES
from services.metrics.queues import DeadLetterDepths
from services.metrics.store import MetricsStore
from services.metrics.zones import ZoneBook, default_zone

REFRESH_SECONDS = 5.0
EVALUATION_REFRESH_SECONDS = 600.0  # a quarter's scores move slowly; each costs ~92 reads
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
    aggregates_at: float | None = None
    broker_at: float | None = None


class BusinessMetrics:
    """A Prometheus collector over the metrics service's aggregates."""

    def __init__(
        self,
        store: MetricsStore,
        zones: ZoneBook,
        depths: Callable[[], Mapping[str, int]],
        clock: Callable[[], float] = time.time,
    ):
        self._store = store
        self._zones = zones
        self._depths = depths
        self._clock = clock
        self._snapshot = Snapshot()
        self._scored_at = float("-inf")

    def refresh_aggregates(self) -> int:
        """Reread every community's live totals (and, every ten minutes, this quarter's
        evaluation). Returns the communities read."""
        live = self._store.all_live()
        scores = self._snapshot.scores
        if self._clock() - self._scored_at >= EVALUATION_REFRESH_SECONDS:
            scores = self._scores(live)
            self._scored_at = self._clock()
        self._snapshot = replace(
            self._snapshot, live=live, scores=scores, aggregates_at=self._clock()
        )
        return len(live)

    def refresh_dead_letters(self) -> int:
        """Reread the depth of every dead-letter queue. Returns the queues read."""
        depths = dict(self._depths())
        self._snapshot = replace(self._snapshot, depths=depths, broker_at=self._clock())
        return len(depths)

    def _scores(self, live: list[Totals]) -> dict[tuple[str, str, str], float]:
        scores = {}
        policy = load_policy()
        for totals in live:
            community = totals.partition.community_id
            now = datetime.fromtimestamp(self._clock(), UTC)
            today = now.astimezone(self._zones(community)).date()
            since, until = quarter_range(*quarter_of(today))
            days = self._store.days_of(community, days_between(since, until)).values()
            for kind in UNIT_KINDS:
                names = places.grid_names(totals) if kind == "grid" else {}
                for row in evaluate(policy, add_up_by(days, kind), names)["units"]:
                    if row["ranked"] and row["score"] is not None:
                        scores[(community, kind, row["unit"])] = row["score"]
        return scores

    def describe(self) -> list[Metric]:
        """What registration asks for, without reading the store."""
        return list(self._families(Snapshot()))

    def collect(self) -> Iterator[Metric]:
        yield from self._families(self._snapshot)

    def _families(self, snapshot: Snapshot) -> Iterator[Metric]:
        yield from _case_families(snapshot.live)
        yield from _stock_families(snapshot.live)
        yield from _duration_families(snapshot.live)
        yield from _people_families(snapshot.live, snapshot.scores)
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


class BusinessGauges(DependencyProvider):
    """Registers the collector over the service's store; a timer calls its refreshes."""

    def start(self) -> None:
        store = next(
            dependency.repository
            for dependency in self.container.dependencies
            if isinstance(dependency, StoreProvider)
        )
        config = self.container.config
        amqp_uri = Settings.from_config(self.container.service_name, config).amqp_uri
        depths = DeadLetterDepths(amqp_uri, config.get("DEAD_LETTER_WATCH") or {})
        zones = ZoneBook(store, default_zone(config))
        self.metrics = BusinessMetrics(store, zones, depths)
        register_collector(self.metrics)

    def get_dependency(self, worker_ctx) -> BusinessMetrics:
        return self.metrics
