"""`python -m scripts.simulate` (`make simulate`): see scripts/simulate/__init__.py and --help."""

from __future__ import annotations

import signal
import sys
import time
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet's deprecation banner (nameko imports it)
    from scripts.simulate import closing
    from scripts.simulate.scenarios import every_scenario
    from scripts.simulate.stage import scaled_clock, start_stage
    from scripts.simulate.statistics import Statistics
    from scripts.simulate.timeline import Agenda, Quarter
    from scripts.stack import ROOT

ZONE = ZoneInfo("Asia/Shanghai")  # the sample community's
console = Console(highlight=False)


def say(message: str) -> None:
    console.print(f"[dim]{datetime.now():%H:%M:%S}[/] {message}")


@click.command(context_settings={"show_default": True})
@click.option("--first-day", default="2026-07-01", help="The quarter's first day (local).")
@click.option("--days", default=92, help="Days simulated (a quarter: 90–92).")
@click.option(
    "--day-seconds",
    default=5.0,
    help="Real seconds a simulated day lasts (60: a day a minute, to watch).",
)
@click.option("--seed", default=19, help="Seed of everything the simulated people do.")
@click.option(
    "--settle-seconds", default=120.0, help="Real seconds the statistics may take to settle."
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="The JSON summary [default: var/simulate/quarter-<time>.json].",
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    help="The stack's logs [default: var/simulate/run].",
)
@click.option("--log-level", default="WARNING", help="LOG_LEVEL of the services.")
@click.option(
    "--base-port",
    type=int,
    help="8000: make up's ports, which Prometheus scrapes (make stop first) [default: free].",
)
@click.option(
    "--amqp-uri", envvar="SIMULATE_AMQP_URI", default="amqp://guest:guest@127.0.0.1:5672/"
)
@click.option("--mongo-uri", envvar="SIMULATE_MONGO_URI", default="mongodb://127.0.0.1:27017/")
def main(**options) -> None:
    """Simulate a quarter of the sample community on a stack of its own and check the
    statistics against what the simulated people did."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # cleans up
    began = time.monotonic()
    quarter = Quarter(date.fromisoformat(options["first_day"]), options["days"], ZONE)
    speed = 86400 / options["day_seconds"]
    started = datetime.now(UTC)
    output = options["output"] or ROOT / "var/simulate" / f"quarter-{started:%Y%m%dT%H%M%SZ}.json"
    state_dir = options["state_dir"] or ROOT / "var/simulate/run"
    clock = scaled_clock(quarter, speed, state_dir)
    say(f"quarter {quarter.first} – {quarter.last}, a day in {options['day_seconds']:g} s "
        f"(×{speed:g}), seed {options['seed']}")  # fmt: skip
    stage = start_stage(quarter, clock, state_dir, options["amqp_uri"], options["mongo_uri"],
                        options["log_level"], options["base_port"], say)  # fmt: skip
    try:
        result = run(stage, quarter, options, say)
    finally:
        for leftover in stage.stop():
            say(f"[yellow]could not remove {leftover}[/]")
    result |= {"wall_seconds": round(time.monotonic() - began, 1), "output": str(output)}
    closing.save(output, result)
    say(f"wall time {result['wall_seconds']} s; the summary is in {output}")
    if not result["agrees"]:
        raise SystemExit("the statistics disagree with the simulator's ground truth (✗ above)")


def run(stage, quarter: Quarter, options: dict, say) -> dict:
    scenarios = every_scenario(stage.apis, options["seed"], stage.sink)
    agenda = Agenda(stage.clock, until=quarter.closing)
    for scenario in scenarios:
        scenario.schedule(quarter, agenda)
    stage.start_clock()
    say(f"the stack is ready: the clock runs from {quarter.first} 00:00 ({quarter.zone.key})")
    days_told = set()

    def progress(now: datetime) -> None:
        day = now.astimezone(quarter.zone).date()
        if day not in days_told and quarter.first <= day <= quarter.last:
            days_told.add(day)
            if len(days_told) % 7 == 1 or day == quarter.last:
                reported = scenarios[0].truth.counts["reported"]
                say(f"{day} · acts done {agenda.done}, reports {reported}, "
                    f"failed acts {len(agenda.failures)}")  # fmt: skip

    agenda.run(progress)
    behind = f", {agenda.behind} dropped: behind the clock" if agenda.behind else ""
    behind += f", {agenda.shed} arrivals shed: too late to start" if agenda.shed else ""
    say(f"the quarter's acts are done ({agenda.done}{behind}); reading the statistics")
    statistics = Statistics(stage.apis, quarter, stage.sink)
    checks = closing.settled(scenarios, statistics, options["settle_seconds"], say)
    summary = statistics.fresh().summary()
    closing.print_closing(console, checks, summary)
    for failure in agenda.failures[:10]:
        console.print(f"[red]act failed[/] {failure.name} at {failure.when}: {failure.error}")
    agrees = all(check.agrees for check in checks) and not agenda.failures
    return {
        "version": 1,
        "parameters": {k: v for k, v in options.items() if not k.endswith("_uri")},
        "quarter": {
            "from": quarter.first.isoformat(),
            "to": quarter.last.isoformat(),
            "zone": quarter.zone.key,
            "speed": stage.clock.speed,
        },
        "agenda": {
            "acts": agenda.done,
            "dropped_after_closing": agenda.dropped,
            "dropped_behind_the_clock": agenda.behind,
            "arrivals_shed": agenda.shed,
            "latest_start_domain_seconds": round(agenda.late_seconds, 1),
            "failures": [vars(f) for f in agenda.failures],
        },
        "checks": closing.as_json(checks),
        "truth": {scenario.name: scenario.truth.as_dict() for scenario in scenarios},
        "statistics": {"summary": summary},
        "agrees": agrees,
    }


if __name__ == "__main__":
    main()
