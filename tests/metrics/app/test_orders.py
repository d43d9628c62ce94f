"""A case's events in every order, some delivered twice, through metrics' real counting
code on its repository in memory (the repository's contract on every backend is
tests/metrics/test_store.py's): each event read as the service reads it (the envelope
and payload schemas), turned into facts, batched by partition and folded by the store.
Whatever the order, redeliveries and batching, the stored totals of every day and of
the live partition, the summary and the Prometheus families are those of the events
counted once each in their own order (DESIGN.md rules 4 and 7).

Each example folds a few dozen batches; the pure fold's order indifference is tested
with many more examples in tests/metrics/domain/test_totals.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.metrics.app import counting
from services.metrics.app.zones import ZoneBook
from services.metrics.compose import load_policy
from services.metrics.domain import reports
from services.metrics.domain.totals import Fact, Totals, days_between
from services.metrics.events import READS
from services.metrics.gauges.collector import BusinessMetrics
from services.metrics.store import MetricsStore
from tests.metrics.gauges.test_collector import FoldedStore, scrape
from tests.metrics.sequences import DAY, SHANGHAI, T0, Event, Folded, reopened_lifecycle

DAYS = days_between(DAY - timedelta(days=1), DAY + timedelta(days=4))
IN_MARCH = (T0 + timedelta(days=3)).timestamp()  # the evaluation's quarter holds the days


class OneCommunity:
    """The reads the gauges make, limited to one community (the test's database holds the
    communities of earlier examples too)."""

    def __init__(self, store: MetricsStore, community: str):
        self._store, self._community = store, community

    def all_live(self) -> list[Totals]:
        live = self._store.live_of(self._community)
        return [live] if live else []

    def live_of(self, community: str) -> Totals | None:
        return self._store.live_of(community)

    def days_of(self, community: str, days) -> dict[date, Totals]:
        return self._store.days_of(community, days)

    def property_quarters_all(self) -> list[dict]:
        return []  # no estate's evaluation in these examples


def deliver(store: MetricsStore, batches: list[list[Event]]) -> None:
    """As the service does: each message read through its contract and turned into
    facts (counting.count_event), a batch's facts folded per partition."""
    zone_of = ZoneBook(store, SHANGHAI)
    for batch in batches:
        facts: list[Fact] = []
        for event in batch:
            envelope = READS.read_if_known(event.message())
            assert envelope is not None, event.type
            counting.count_event(facts.extend, zone_of, envelope)
        by_partition: dict[str, list[Fact]] = {}
        for fact in facts:
            by_partition.setdefault(fact.partition.id, []).append(fact)
        for group in by_partition.values():
            counting.fold_facts(store, group, uuid4().hex)


def gauges(reader, community: str) -> dict[str, list]:
    metrics = BusinessMetrics(
        reader, ZoneBook(reader, SHANGHAI), load_policy(), dict, clock=lambda: IN_MARCH
    )
    metrics.refresh_aggregates()
    return {
        name: sorted((s.name, sorted(s.labels.items()), s.value) for s in samples)
        for name, samples in scrape(metrics).items()
        if "timestamp" not in name
    }


def a_case_with_its_offers_and_messages(case: str, community: str) -> list[Event]:
    """reopened_lifecycle() with an offer that expired before the first dispatch and the
    dispatch's SMS: the events of one case that reach metrics' queue."""
    where = {"community_id": community, "grid_id": "jingxiang-g1"}
    expired = {"case_id": case, "offer_id": "o-1", "person_id": "p-2", "team": "repair_crew"}
    message = {"delivery_id": "d-1", "case_id": case, "category": "facility.lighting"}
    return [
        *reopened_lifecycle(case, community_id=community),
        Event("offer.expired", {**expired, **where, "attempt": 1}, T0 + timedelta(minutes=10)),
        Event(
            "notification.delivered",
            {**message, "community_id": community, "kind": "case.dispatched", "channel": "sms"},
            T0 + timedelta(minutes=11),
        ),
    ]


@st.composite
def deliveries(draw, count: int) -> tuple[list[int], list[int]]:
    """A delivery order of `count` events with some delivered twice, and where the
    batches end (indexes into the order)."""
    order = list(draw(st.permutations(range(count))))
    for event in draw(st.lists(st.integers(0, count - 1), max_size=5)):
        order.insert(draw(st.integers(0, len(order))), event)
    cuts = sorted(draw(st.sets(st.integers(1, len(order) - 1), max_size=8)))
    return order, cuts


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_every_order_of_a_cases_events_some_twice_counts_the_same(memory_store, data):
    community = f"c{uuid4().hex[:10]}"  # fresh events and totals for each example
    events = a_case_with_its_offers_and_messages("LX-1", community)
    order, cuts = data.draw(deliveries(len(events)))
    delivered = [events[index] for index in order]
    bounds = [0, *cuts, len(delivered)]
    deliver(memory_store, [delivered[a:b] for a, b in pairwise(bounds)])

    expected = Folded().fold(events)  # each once, in the case's own order
    stored_days = memory_store.days_of(community, DAYS)
    assert {day: t.cells for day, t in stored_days.items()} == {
        day: t.cells for day, t in expected.days(community).items()
    }
    live = memory_store.live_of(community)
    assert live.cells == expected.live(community).cells
    summary = reports.summarise(list(stored_days.values()), live)
    assert summary == reports.summarise(
        list(expected.days(community).values()), expected.live(community)
    )
    assert gauges(OneCommunity(memory_store, community), community) == gauges(
        FoldedStore(expected), community
    )

    # and the numbers are the right ones, not only the same ones
    assert (summary["collected"], summary["resolved"], summary["totals"]["reopened"]) == (1, 2, 1)
    assert (summary["on_time_rate"], summary["first_time_rate"]) == (0.5, 0.5)
    assert (summary["resolution_rate"], summary["satisfaction_rate"]) == (1.0, 0.5)
    assert summary["volunteer_hours"] == 1.5
    assert (summary["totals"]["offers_expired"], summary["totals"]["notified"]) == (1, 1)
    assert summary["backlog"] == {"total": 0, "by_state": {}, "overdue": 0}
    assert summary["time_to_accept"]["count"] == 2
    assert summary["time_to_accept"]["min_seconds"] == 20 * 60
