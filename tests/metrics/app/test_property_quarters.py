"""Each estate's property evaluation as metrics keeps and gauges it: the latest closed
quarter kept once (a replay or an earlier quarter arriving late changes nothing), and the
three gauges per estate with community and estate labels only."""

from __future__ import annotations

from lianxin.contracts.estate import ESTATE
from services.metrics.app.property_quarters import on_quarter_closed
from services.metrics.gauges.families import Snapshot, families


def closed(quarter: str, satisfaction: float | None, level: str, complaints: int = 4):
    payload = {
        "community_id": "jingxiang", "estate_id": "jingxiang-e1", "quarter": quarter,
        "company": "金盾物业", "ballots": 40, "online_ballots": 30, "offline_ballots": 10,
        "satisfaction": satisfaction, "complaints": complaints, "households": 200,
        "level": level, "reasons": ["satisfaction_low"] if level != "none" else [],
    }  # fmt: skip
    return ESTATE.new_event("property.quarter_closed", payload, correlation_id="c")


def test_the_latest_closed_quarter_is_kept_once_whatever_the_order(memory_store):
    q3, q4 = closed("2026-Q3", 0.8, "none"), closed("2026-Q4", 0.5, "warning")
    assert on_quarter_closed(memory_store, q4)
    assert not on_quarter_closed(memory_store, q4)  # redelivered
    assert not on_quarter_closed(memory_store, q3)  # an earlier quarter, late
    (kept,) = memory_store.property_quarters_all()
    assert (kept["quarter"], kept["satisfaction"], kept["level"]) == ("2026-Q4", 0.5, "warning")


def test_the_gauges_name_the_estate_and_nobody(memory_store):
    on_quarter_closed(memory_store, closed("2026-Q4", 0.5, "rectification", complaints=6))
    found = {
        family.name: family.samples
        for family in families(Snapshot(property_quarters=memory_store.property_quarters_all()))
        if family.name.startswith("lianxin_property")
    }
    labels = {"community": "jingxiang", "estate": "jingxiang-e1"}
    assert [(s.labels, s.value) for s in found["lianxin_property_satisfaction_ratio"]] == [
        (labels, 0.5)
    ]
    assert [s.value for s in found["lianxin_property_complaints_per_100_households"]] == [3.0]
    assert [s.value for s in found["lianxin_property_verdict_level"]] == [2]
    no_ballots = Snapshot(property_quarters=[{**memory_store.property_quarters_all()[0],
                                              "satisfaction": None}])  # fmt: skip
    shown = {f.name: f.samples for f in families(no_ballots)}
    assert shown["lianxin_property_satisfaction_ratio"] == []
