"""Prometheus configuration, alert rules and their unit tests, checked by promtool (Debian's
`prometheus` package, installed by `make infra`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.metrics.queries import ROOT, RULE_FILES

PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
REQUIRED_ALERTS = {
    "LianxinOverdueCasesRising",
    "LianxinBacklogGrowing",
    "LianxinNobodyOnDuty",
    "LianxinDeadLetterQueueNotEmpty",
    "LianxinEventsDeadLettered",
    "LianxinOutboxBacklogStuck",
    "LianxinDeliveriesDead",
    "LianxinDeliveryFailuresHigh",
    "LianxinServiceDown",
}


def promtool(*args: str | Path) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: `make infra` installs Debian's prometheus package")
    return subprocess.run(
        [tool, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=PROMETHEUS
    )


def alerts() -> dict[str, dict]:
    found = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            found.update({rule["alert"]: rule for rule in group["rules"] if "alert" in rule})
    return found


def test_the_rule_files_are_valid():
    checked = promtool("check", "rules", *RULE_FILES)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_the_rules_pass_their_unit_tests():
    assert RULE_TESTS, "no promtool rule tests in deploy/prometheus/tests"
    tested = promtool("test", "rules", *RULE_TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-local.yml"])
def test_the_scrape_configurations_are_valid_and_scrape_every_service(config):
    checked = promtool("check", "config", "--syntax-only", PROMETHEUS / config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    jobs = {
        job["job_name"]
        for job in yaml.safe_load((PROMETHEUS / config).read_text())["scrape_configs"]
    }
    assert {"cases", "roster", "notify", "metrics", "console", "estate"} <= jobs


def test_the_local_configuration_scrapes_both_replicas_on_the_stacks_ports():
    from scripts.stack import Stack

    stack = Stack(replicas=2)
    config = yaml.safe_load((PROMETHEUS / "prometheus-local.yml").read_text())
    for job in config["scrape_configs"]:
        targets = {target for group in job["static_configs"] for target in group["targets"]}
        expected = {f"127.0.0.1:{stack.metrics_port(job['job_name'], r)}" for r in (0, 1)}
        assert targets == expected, job["job_name"]


def test_every_alert_the_issue_asks_for_exists_with_a_severity_and_both_summaries():
    found = alerts()
    assert set(found) >= REQUIRED_ALERTS
    for name, rule in found.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert {"summary", "summary_zh", "description"} <= set(rule["annotations"]), name


def test_every_alert_is_exercised_by_a_rule_test():
    tested = set()
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            tested.update(case["alertname"] for case in test.get("alert_rule_test", []))
    assert set(alerts()) <= tested
