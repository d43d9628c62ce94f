"""The composition root: the parts a metrics process builds once, and the reference
data it reads (data/evaluation.yaml)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.metrics.compose import build, load_policy
from services.metrics.store import MetricsStore


def test_the_shipped_policy_weighs_four_rates_to_100():
    policy = load_policy()
    assert sum(policy.weights.values()) == 100
    assert set(policy.weights) == {
        "resolution_rate",
        "on_time_rate",
        "satisfaction_rate",
        "first_time_rate",
    }
    assert "(÷" not in policy.formula()["zh"]


def test_the_parts_are_built_on_a_store_context_with_the_configured_default_zone(memory_backend):
    context = memory_backend.context("metrics", {"DEFAULT_TIMEZONE": "Asia/Urumqi"})
    parts = build(context)
    assert isinstance(parts.store, MetricsStore)
    assert parts.policy == load_policy()
    assert parts.zones("a community roster has not described") == ZoneInfo("Asia/Urumqi")
    assert parts.recover() == 0
