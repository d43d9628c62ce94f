"""The PromQL queries in deploy/: every dashboard panel's and template variable's, and
every alert and recording rule's, with the metric names each one reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import promql_parser
import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
# What Grafana substitutes before Prometheus sees a query
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "$community": "jingxiang",
}
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)$")
# Series Prometheus makes itself, not any service
PROMETHEUS_OWN = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})


def grafana(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def panels(dashboard: dict) -> Iterator[dict]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # panels inside a collapsed row


def dashboard_queries(path: Path) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable of a dashboard."""
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            found.append((f"{path.name}: {panel['title']} [{target['refId']}]", target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            match = LABEL_VALUES.match(text.strip())
            expr = match.group("selector") if match else text
            found.append((f"{path.name}: variable {variable['name']}", expr))
    return [(where, grafana(expr)) for where, expr in found]


def rule_queries(path: Path) -> list[tuple[str, str]]:
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (f"{path.name}: {rule.get('alert') or rule.get('record')}", rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


def recorded(path: Path) -> set[str]:
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        rule["record"] for group in rules["groups"] for rule in group["rules"] if "record" in rule
    }


def every_query() -> list[tuple[str, str]]:
    found = [query for path in DASHBOARDS for query in dashboard_queries(path)]
    return found + [query for path in RULE_FILES for query in rule_queries(path)]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (raises ValueError if it does not parse)."""
    names: set[str] = set()

    def visit(node) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__":
                    names.add(matcher.value)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def service_metric_names(names: set[str]) -> set[str]:
    """Leave out what Prometheus makes itself and what the rules record."""
    recorded_names = set().union(*(recorded(path) for path in RULE_FILES))
    return names - PROMETHEUS_OWN - recorded_names


def exposed_names(families) -> set[str]:
    """The sample names a set of metric families exposes (counter `x` is `x_total`,
    a histogram `x` is `x_bucket`, `x_sum` and `x_count`)."""
    names = set()
    for family in families:
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names.update({f"{family.name}_bucket", f"{family.name}_sum", f"{family.name}_count"})
        else:
            names.add(family.name)
    return names
