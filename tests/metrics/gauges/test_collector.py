"""The business metrics Prometheus scrapes, from folded totals. Plain Python, no I/O: the
totals come from known event sequences folded in memory, as the store folds them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.metrics.app.zones import ZoneBook
from services.metrics.compose import load_policy
from services.metrics.domain.totals import Totals
from services.metrics.gauges.collector import BusinessMetrics
from tests.metrics.domain.test_measures import area, duty
from tests.metrics.sequences import SHANGHAI, T0, Folded, lifecycle, opened


class FoldedStore:
    """The two reads the gauges make, over totals folded in memory. `away` makes every
    read fail, as a database that is down would."""

    def __init__(self, folded: Folded):
        self.folded = folded
        self.away = False
        self.property_quarters: list[dict] = []  # estates' latest closed quarters

    def property_quarters_all(self) -> list[dict]:
        self._check()
        return list(self.property_quarters)

    def all_live(self) -> list[Totals]:
        self._check()
        return [totals for partition, totals in self.folded.partitions.items() if partition.is_live]

    def live_of(self, community: str) -> Totals | None:
        self._check()
        return self.folded.live(community)

    def days_of(self, community: str, days) -> dict[date, Totals]:
        self._check()
        found = self.folded.days(community)
        return {day: found[day] for day in days if day in found}

    def _check(self) -> None:
        if self.away:
            raise ConnectionError("database away")


def scrape(metrics: BusinessMetrics) -> dict[str, list]:
    registry = CollectorRegistry()
    registry.register(metrics)
    text = generate_latest(registry).decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def sample(families, name: str, **labels: str) -> float:
    family = name.removesuffix("_total").removesuffix("_bucket")
    for found in families[family]:
        if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
            return found.value
    raise KeyError(f"{name} {labels}")


@pytest.fixture
def folded() -> Folded:
    now = T0.replace(year=2026)  # the quarter of today's evaluation is whatever today is
    events = [
        *lifecycle("LX-1"),
        *opened("LX-2"),
        *opened("LX-3", grid_id="jingxiang-g2"),
        duty(0, now, team="red_vests"),
        duty(2, now),
        area("jingxiang", "community", 1, 5926, timezone="Asia/Shanghai"),
    ]
    return Folded().fold(events)


def metrics_over(store) -> BusinessMetrics:
    return BusinessMetrics(
        store, ZoneBook(store, SHANGHAI), load_policy(), lambda: {"metrics.facts": 2}
    )


def test_the_gauges_show_the_backlog_overdue_duty_and_counts_of_the_aggregates(folded):
    metrics = metrics_over(FoldedStore(folded))
    metrics.refresh_aggregates()
    metrics.refresh_dead_letters()
    families = scrape(metrics)
    assert sample(families, "lianxin_cases_backlog", community="jingxiang", state="dispatched") == 2
    assert sample(families, "lianxin_cases_backlog", community="jingxiang", state="accepted") == 0
    assert sample(families, "lianxin_cases_backlog_by_grid", grid="jingxiang-g2") == 1
    assert sample(families, "lianxin_cases_overdue", community="jingxiang") == 0
    assert sample(families, "lianxin_cases_total", measure="reported") == 3
    assert sample(families, "lianxin_cases_total", measure="resolved") == 1
    assert (
        sample(families, "lianxin_cases_by_channel_total", channel="wechat", measure="reported")
        == 2
    )
    assert (
        sample(families, "lianxin_cases_by_category_total", category="facility", measure="reported")
        == 3
    )
    assert sample(families, "lianxin_people_on_duty", grid="jingxiang-g1", team="red_vests") == 0
    assert sample(families, "lianxin_people_on_duty", grid="jingxiang-g1", team="repair_crew") == 2
    assert sample(families, "lianxin_households", community="jingxiang") == 5926
    assert sample(families, "lianxin_dead_letter_messages", queue="metrics.facts") == 2
    bucket = "lianxin_case_resolve_duration_seconds_bucket"
    assert (
        sample(families, bucket, le="86400.0") == 0 and sample(families, bucket, le="172800.0") == 1
    )
    assert sample(families, bucket, le="+Inf") == 1


def test_names_follow_prometheus_conventions_and_labels_stay_bounded(folded):
    metrics = metrics_over(FoldedStore(folded))
    metrics.refresh_aggregates()
    families = scrape(metrics)
    for name, samples in families.items():
        assert name.startswith("lianxin_"), name
        for found in samples:
            assert not {"case", "case_id", "person", "person_id"} & set(found.labels), found
            assert not any(value.startswith(("LX-", "p-")) for value in found.labels.values()), (
                found
            )
    text = "\n".join(str(samples) for samples in families.values())
    assert "p-1" not in text and "LX-1" not in text


def test_two_replicas_over_the_same_aggregates_report_the_same_numbers(folded):
    store = FoldedStore(folded)
    first, second = metrics_over(store), metrics_over(store)
    for replica in (first, second):
        replica.refresh_aggregates()
    strip = lambda families: {  # noqa: E731
        name: [(s.name, s.labels, s.value) for s in samples if "timestamp" not in s.name]
        for name, samples in families.items()
    }
    assert strip(scrape(first)) == strip(scrape(second))


def test_a_scrape_answers_from_the_last_refresh_while_the_database_is_away(folded):
    store = FoldedStore(folded)
    metrics = metrics_over(store)
    metrics.refresh_aggregates()
    store.away = True
    with pytest.raises(ConnectionError):
        metrics.refresh_aggregates()  # the timer's Sweeper skips this tick
    families = scrape(metrics)
    assert sample(families, "lianxin_cases_backlog", state="dispatched") == 2


def test_this_quarters_evaluation_scores_ranked_grids(folded):
    later = [e for n in range(10, 13) for e in lifecycle(f"LX-{n}", T0 + timedelta(minutes=n))]
    store = FoldedStore(folded.fold(later))
    in_march = (T0 + timedelta(days=2)).timestamp()
    metrics = BusinessMetrics(
        store, ZoneBook(store, SHANGHAI), load_policy(), dict, clock=lambda: in_march
    )
    metrics.refresh_aggregates()
    families = scrape(metrics)
    # grid 1: four of five resolved, all late, first time and satisfied: 30×0.8 + 30×0 + 25 + 15
    assert sample(families, "lianxin_evaluation_score", kind="grid", unit="jingxiang-g1") == 64
    # the team also has grid 2's open case: 30×4/6 + 25 + 15
    assert sample(families, "lianxin_evaluation_score", kind="team", unit="repair_crew") == 60
    assert ("jingxiang-g2",) not in {  # one case: too few to rank
        (s.labels["unit"],) for s in families["lianxin_evaluation_score"]
    }
