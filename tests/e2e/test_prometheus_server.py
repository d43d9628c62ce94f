"""A real Prometheus server (Debian's package) scrapes the running services with the
project's rules: a PromQL query returns the backlog the published events make, the
rules evaluate without error, and every dashboard and rule query reads only metric
names the services really expose."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from scripts.stack import SERVICES
from tests.e2e.conftest import community, wait_until
from tests.e2e.test_metrics_stats import area, case_id, publish
from tests.metrics.queries import (
    RULE_FILES,
    every_query,
    exposed_names,
    metric_names,
    service_metric_names,
)
from tests.metrics.sequences import Event, lifecycle, opened
from tests.ports import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def prometheus(stack, tmp_path_factory):
    """Prometheus scraping every replica of the stack each second, with deploy/'s rules."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: `make infra` installs Debian's prometheus package")
    folder = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in RULE_FILES],
        "scrape_configs": [
            {
                "job_name": service,
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{stack.metrics_port(service, replica)}"],
                        "labels": {"replica": str(replica)},
                    }
                    for replica in stack.replica_ids(service)
                ],
            }
            for service in SERVICES
        ],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    with (folder / "prometheus.log").open("w") as log:
        server = subprocess.Popen(
            [
                binary,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until("Prometheus to be ready", lambda: _ready(url, server), timeout=60)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _ready(url: str, server: subprocess.Popen) -> bool:
    if server.poll() is not None:
        pytest.fail(f"Prometheus exited with {server.returncode}")
    try:
        return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def query(url: str, expr: str) -> list[dict]:
    answer = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", (expr, answer)
    return answer["data"]["result"]


def value(url: str, expr: str) -> float | None:
    result = query(url, expr)
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_every_replica_of_every_service(stack, prometheus):
    expected = sum(len(stack.replica_ids(service)) for service in SERVICES)
    wait_until(
        "every target up",
        lambda: value(prometheus, f'count(up{{job=~"{"|".join(SERVICES)}"}} == 1)') == expected,
    )


def test_a_promql_query_returns_the_backlog_the_events_make(stack, amqp_uri, prometheus):
    """Three cases dispatched and one resolved: two dispatched, counted once across the
    metrics replicas, in the raw gauge and in the recorded community total."""
    place = community("p")
    now = datetime.now(UTC)
    publish(
        amqp_uri,
        [
            *[e for _ in range(2) for e in opened(case_id(), now, community_id=place)],
            *lifecycle(case_id(), now, community_id=place),
        ],
    )
    dispatched = f'lianxin_cases_backlog{{community="{place}",state="dispatched"}}'
    backlog = f"max without (instance, replica) ({dispatched})"
    wait_until("the backlog in Prometheus", lambda: value(prometheus, backlog) == 2, timeout=60)
    replicas = len(stack.replica_ids("metrics"))
    wait_until(  # each replica reports the stored total: never add replicas up
        "every metrics replica to report the same backlog",
        lambda: value(prometheus, f"sum({dispatched})") == 2 * replicas,
    )
    wait_until(
        "the recorded community backlog",
        lambda: (
            value(prometheus, f'community:lianxin_cases_backlog:sum{{community="{place}"}}') == 2
        ),
    )
    resolved = f'max(lianxin_cases_total{{community="{place}",measure="resolved"}})'
    assert wait_until("the resolved case", lambda: value(prometheus, resolved)) == 1


def test_nobody_on_duty_makes_the_alert_pending(amqp_uri, prometheus):
    place = community("d")
    duty = Event(
        "duty.changed",
        {
            "community_id": place,
            "grid_id": f"{place}-g1",
            "team": "repair_crew",
            "on_duty": 0,
            "at": datetime.now(UTC),
        },
        datetime.now(UTC),
    )
    publish(amqp_uri, [duty, area(place, place, "community", 920)])

    def pending():
        alerts = requests.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        return [
            alert
            for alert in alerts
            if alert["labels"]["alertname"] == "LianxinNobodyOnDuty"
            and alert["labels"].get("community") == place
        ]

    (alert,) = wait_until("the nobody-on-duty alert", pending, timeout=60)
    assert alert["state"] == "pending"  # it fires after 15 minutes
    assert alert["labels"]["team"] == "repair_crew"
    assert value(prometheus, f'max(lianxin_households{{community="{place}"}})') == 920


def test_every_rule_evaluates_without_error(prometheus):
    def evaluated():
        groups = requests.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return (
            rules
            if rules and all(rule.get("lastEvaluation", "0001")[:4] != "0001" for rule in rules)
            else None
        )

    rules = wait_until("every rule evaluated once", evaluated)
    broken = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
    assert broken == {}


def test_every_dashboard_and_rule_query_runs_and_reads_only_exposed_metrics(stack, prometheus):
    exposed: set[str] = set()
    for service in SERVICES:
        text = requests.get(
            f"http://127.0.0.1:{stack.metrics_port(service)}/metrics", timeout=5
        ).text
        exposed |= exposed_names(text_string_to_metric_families(text))
    wait_until("a first scrape", lambda: value(prometheus, "count(up)"))
    problems = []
    for where, expr in every_query():
        names = service_metric_names(metric_names(expr))
        if not names <= exposed:
            problems.append(f"{where}: {sorted(names - exposed)} not exposed")
        answer = requests.get(
            f"{prometheus}/api/v1/query", params={"query": expr, "time": time.time()}, timeout=10
        ).json()
        if answer["status"] != "success":
            problems.append(f"{where}: {answer.get('error')}")
    assert problems == []
