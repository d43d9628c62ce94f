"""The quarter's closing figures: each scenario's ground truth next to the statistics,
compared until they settle (the last events of the quarter are still being counted when
its acts end), printed, and saved as JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scripts.simulate.scenario import Check, Scenario
from scripts.simulate.statistics import Statistics


def compare(scenarios: list[Scenario], statistics: Statistics) -> list[Check]:
    read = statistics.fresh()
    return [check for scenario in scenarios for check in scenario.check(read)]


def settled(
    scenarios: list[Scenario],
    statistics: Statistics,
    timeout: float,
    say: Callable[[str], None],
) -> list[Check]:
    """The checks once every exact one agrees, or as they stand after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        checks = compare(scenarios, statistics)
        wrong = [check for check in checks if not check.agrees]
        if not wrong or time.monotonic() > deadline:
            return checks
        say(f"statistics still settling: {', '.join(c.figure for c in wrong[:4])} …")
        time.sleep(3)


def print_closing(console: Console, checks: list[Check], summary: dict[str, Any]) -> None:
    table = Table(title="The quarter: ground truth and statistics", show_lines=False)
    for column in ("scenario", "figure", "simulator", "statistics", ""):
        table.add_column(column, overflow="fold")
    for check in checks:
        mark = (
            "[green]✓[/]" if check.exact and check.agrees else ("[red]✗[/]" if check.exact else "")
        )
        table.add_row(
            check.scenario, check.figure, _shown(check.truth), _shown(check.statistics), mark
        )
    console.print(table)
    rates = ("resolution_rate", "on_time_rate", "satisfaction_rate")
    console.print(
        "collected {collected}, resolved {resolved}, volunteer hours {hours:g}; ".format(
            collected=summary["collected"], resolved=summary["resolved"],
            hours=summary["volunteer_hours"],
        )
        + ", ".join(f"{rate.replace('_', ' ')} {_percent(summary.get(rate))}" for rate in rates)
    )  # fmt: skip


def save(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), "utf-8")


def as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [{**asdict(check), "agrees": check.agrees} for check in checks]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list) and len(value) > 3:  # a list's lines: the JSON has them
        return f"{len(value)} lines"
    if isinstance(value, dict):
        return (
            ", ".join(f"{k} {v}" for k, v in value.items())
            if len(value) <= 8
            else (f"{len(value)} values, {sum(filter(_is_int, value.values()))} in all")
        )
    return str(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int)
