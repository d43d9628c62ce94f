"""Walk one case through the running system and print each step it takes.

report → triage → offer to the on-duty volunteer → dispatch → webhook delivered
→ accept → resolve → counted in the statistics and on /metrics.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import click
import requests
from rich.console import Console

from scripts.stack import SINK_PORT, Stack

console = Console()


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"gave up waiting for {what} after {timeout}s")


def summary(metrics_url: str, community: str) -> dict:
    response = requests.get(
        f"{metrics_url}/v1/stats/summary", params={"community_id": community}, timeout=5
    )
    response.raise_for_status()
    return response.json()


def step(text: str) -> None:
    console.print(f"[bold cyan]→[/] {text}")


@click.command()
@click.option("--community", default="jingxiang")
@click.option("--grid", default="jingxiang-g2")
def main(community: str, grid: str) -> None:
    stack = Stack()
    cases, metrics = stack.url("cases"), stack.url("metrics")
    sink = f"http://127.0.0.1:{SINK_PORT}/hooks"
    report = {
        "description": "3栋2单元楼道灯坏了，晚上看不见台阶 (stair light broken in building 3)",
        "community_id": community,
        "channel": "wechat",
        "location": {"grid_id": grid, "building": "3", "unit": "2"},
        "reporter": {"name": "王秀兰", "phone": "13912345678"},
    }
    resolved_before = summary(metrics, community)["totals"]["resolved"]
    started = time.perf_counter()
    response = requests.post(
        f"{cases}/v1/cases",
        json=report,
        timeout=10,
        headers={"Idempotency-Key": f"demo-{uuid.uuid4()}"},
    )
    response.raise_for_status()
    case = response.json()
    step(
        f"reported [bold]{case['id']}[/] over {case['channel']}: state {case['state']}, "
        f"category {case['category']} → team {case['team']}, priority {case['priority']}"
    )
    step(f"reporter shown masked: {case['reporter']}")

    def dispatched():
        current = requests.get(f"{cases}/v1/cases/{case['id']}", timeout=5).json()
        return current if current["state"] != "triaged" else None

    case = wait_for("dispatch", dispatched)
    step(
        f"roster offered it to {case['assignee_name']} ({case['assignee']}); state {case['state']}"
    )

    def delivered():
        return [
            hook
            for hook in requests.get(sink, timeout=5).json()
            if hook["body"]["case_id"] == case["id"]
        ]

    hook = wait_for("webhook delivery", delivered)[0]
    signature = "signature verified" if hook["verified"] else "BAD SIGNATURE"
    elapsed = time.perf_counter() - started
    step(f"notify delivered a signed webhook ({signature}) in {elapsed:.2f}s:")
    console.print(f"    {hook['body']['text']}".replace("\n", "\n    "))

    person = {"person_id": case["assignee"]}
    case = requests.post(f"{cases}/v1/cases/{case['id']}/accept", json=person, timeout=5).json()
    step(f"volunteer accepted: state {case['state']}")
    case = requests.post(
        f"{cases}/v1/cases/{case['id']}/resolve",
        timeout=5,
        json={**person, "resolution": "换了新灯泡 (replaced the bulb)", "volunteer_hours": 0.5},
    ).json()
    step(f"volunteer resolved it: state {case['state']}")

    def counted():
        stats = summary(metrics, community)
        return stats if stats["totals"]["resolved"] > resolved_before else None

    stats = wait_for("statistics", counted)
    step(
        f"statistics for {community}: {stats['totals']}, resolution rate {stats['resolution_rate']}"
    )
    scrape = requests.get(
        f"http://127.0.0.1:{stack.metrics_port('metrics')}/metrics", timeout=5
    ).text
    lines = [
        line
        for line in scrape.splitlines()
        if line.startswith("lianxin_cases{")
        and case["category"] in line
        and not line.endswith(" 0.0")
    ]
    step("Prometheus /metrics of the metrics service:")
    for line in lines:
        console.print(f"    {line}")
    console.print("\n[bold]timeline[/]")
    for entry in case["timeline"]:
        console.print(
            f"  {entry['at'][11:23]}  {entry['action']:<9} → {entry['state']:<11}"
            f" by {entry['by']}  {entry.get('note') or ''}"
        )


if __name__ == "__main__":
    main()
