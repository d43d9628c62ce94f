"""Grafana provisioning and dashboards: stable uids, one datasource by its fixed uid, and
every query valid PromQL over metric names the code declares. (tests/e2e/
test_prometheus_server.py checks the same queries against what the running services
really expose.)"""

from __future__ import annotations

import json

import pytest
import yaml

from lianxin import instrumentation
from services.metrics.gauges.collector import BusinessMetrics
from tests.metrics.queries import (
    DASHBOARDS,
    ROOT,
    every_query,
    exposed_names,
    metric_names,
    panels,
    service_metric_names,
)

GRAFANA = ROOT / "deploy" / "grafana"
UIDS = {"community-overview.json": "lianxin-community", "operations.json": "lianxin-operations"}


def datasource() -> dict:
    (source,) = yaml.safe_load((GRAFANA / "provisioning/datasources/lianxin.yml").read_text())[
        "datasources"
    ]
    return source


def declared_names() -> set[str]:
    """Every metric name the services declare: the shared instrumentation and the metrics
    service's business metrics (the latter read without a store: describe() only)."""
    shared = [
        family
        for family in instrumentation.REGISTRY.collect()
        if family.name.startswith("lianxin_")
    ]
    business = BusinessMetrics(store=None, zones=None, policy=None, depths=dict).describe()  # type: ignore[arg-type]
    return exposed_names([*shared, *business])


def test_the_datasource_has_a_fixed_uid_and_points_at_prometheus():
    source = datasource()
    assert (source["uid"], source["type"]) == ("lianxin-prometheus", "prometheus")
    assert source["url"] == "http://prometheus:9090"


def test_the_dashboard_provider_reads_the_folder_compose_mounts():
    (provider,) = yaml.safe_load((GRAFANA / "provisioning/dashboards/lianxin.yml").read_text())[
        "providers"
    ]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert provider["type"] == "file"
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in compose


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_each_dashboard_has_its_stable_uid_and_every_panel_the_fixed_datasource(path):
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    assert dashboard["uid"] == UIDS[path.name]
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(dashboard):
        assert panel["datasource"]["uid"] == datasource()["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == datasource()["uid"], panel["title"]


def test_the_two_dashboards_show_what_the_issue_asks_for():
    titles = {
        path.name: " ".join(panel["title"] for panel in panels(json.loads(path.read_text())))
        for path in DASHBOARDS
    }
    for wanted in (
        "Collected",
        "Resolved",
        "On-time",
        "Satisfaction",
        "Backlog by grid",
        "hotline",
        "Evaluation",
    ):
        assert wanted in titles["community-overview.json"], wanted
    for wanted in (
        "Events handled per second",
        "latency",
        "Outbox backlog",
        "Deliveries",
        "Dead letters",
    ):
        assert wanted in titles["operations.json"], wanted


@pytest.mark.parametrize(("where", "expr"), every_query(), ids=[w for w, _ in every_query()])
def test_every_query_parses_and_reads_only_declared_metrics(where, expr):
    names = service_metric_names(metric_names(expr))
    assert names <= declared_names(), f"{where}: {sorted(names - declared_names())}"
