"""No phone number and no name reaches the statistics (DESIGN.md: personal data is
masked in stats): not in the JSON reports, not in their CSV, not in what Prometheus
scrapes. Plain Python: events as their producers send them, folded as the store folds
them, read through the same use cases the HTTP routes call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from lianxin.access.actors import Actor
from services.metrics.app import stats
from services.metrics.app.zones import ZoneBook
from services.metrics.compose import load_policy
from services.metrics.gauges.collector import BusinessMetrics
from services.metrics.http import exports
from tests.metrics.domain.test_measures import area
from tests.metrics.gauges.test_collector import FoldedStore, scrape
from tests.metrics.sequences import SHANGHAI, T0, Event, Folded, hours_entry, lifecycle

PHONE = "13807310336"  # a volunteer whose roster id is her mobile number (a valid slug)
GRID_PHONE = "13807310343"  # a grid named with its leader's number
NAMES = ("李晓燕", "杜俊杰")
NOW = T0 + timedelta(days=3)
READER = Actor("k-1", "reader", frozenset({"read"}), frozenset({"jingxiang"}))


def with_personal_data(event: Event) -> Event:
    """The event as cases sends it: display names, free text and contacts beside the ids
    metrics counts by."""
    payload = dict(event.payload)
    if "person_id" in payload:
        payload |= {"person_id": PHONE, "display_name": NAMES[0]}
    payload |= {
        "assignee": {"person_id": PHONE, "display_name": NAMES[0]},
        "description": f"楼道灯坏了，请{NAMES[1]}回电 {GRID_PHONE}",
        "contact": {"phone": GRID_PHONE, "email": None, "consent": True},
        "place": f"{NAMES[1]}家楼下",
    }
    return Event(event.type, payload, event.at, event.event_id)


def reports_of(store: FoldedStore) -> dict[str, str]:
    """Every report as JSON and CSV, keyed by route, and the Prometheus text."""
    zone_of = ZoneBook(store, SHANGHAI)
    period = {"community_id": "jingxiang", "since": T0.date(), "until": NOW.date()}
    found = {}
    for name, use_case, to_csv in (
        ("summary", stats.summary, exports.summary_csv),
        ("trend", stats.trend, exports.trend_csv),
        ("hotline", stats.hotline, exports.hotline_csv),
        ("volunteers", stats.volunteers, exports.volunteers_csv),
    ):
        report = use_case(store, zone_of, READER, period, NOW)
        found[name] = json.dumps(report, ensure_ascii=False, default=str)
        found[f"{name}.csv"] = to_csv(report)
    quarter = {"community_id": "jingxiang", "of": "grid", "quarter": "2026-Q1"}
    evaluation = stats.evaluation(store, zone_of, load_policy(), READER, quarter, NOW)
    found["evaluation"] = json.dumps(evaluation, ensure_ascii=False, default=str)
    found["evaluation.csv"] = exports.evaluation_csv(evaluation)
    metrics = BusinessMetrics(store, zone_of, load_policy(), dict, clock=NOW.timestamp)
    metrics.refresh_aggregates()
    found["prometheus"] = str(scrape(metrics))
    return found


def test_no_phone_number_or_name_reaches_any_report_csv_or_scrape():
    later = datetime(2026, 3, 6, 3, tzinfo=UTC)
    events = [
        area("jingxiang", "community", 1, 500, timezone="Asia/Shanghai"),
        area("jingxiang-g1", "grid", 1, 100, name=f"一网格（网格长 {GRID_PHONE}）"),
        *[
            with_personal_data(event)
            for n in range(5)  # enough cases for the grid to be ranked
            for event in lifecycle(f"LX-{n}", T0 + timedelta(minutes=n))
        ],
        hours_entry("LX-0", 1.5, later, person=PHONE),
    ]
    found = reports_of(FoldedStore(Folded().fold(events)))
    for route, text in found.items():
        for personal in (PHONE, GRID_PHONE, *NAMES):
            assert personal not in text, (route, personal)
    # still there, masked: staff recognise the row without reading the number
    assert "138****0336" in found["volunteers.csv"]
    assert "一网格（网格长 138****0343）" in found["evaluation.csv"]
