"""Operators' command line: dead-lettered messages, metrics rebuild.

    .venv/bin/python -m scripts.admin deadletters list
    .venv/bin/python -m scripts.admin deadletters show metrics.facts
    .venv/bin/python -m scripts.admin deadletters replay metrics.facts --all
    .venv/bin/python -m scripts.admin metrics rebuild [--apply]

Settings come from deploy/config/<service>.yaml, which the environment overrides
(AMQP_URI, MONGO_URI, MONGO_DB_PREFIX, ...), exactly as the services read them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table

from lianxin import deadletters
from lianxin.config import Settings
from scripts.stack import SERVICES, consumed_queues

ROOT = Path(__file__).resolve().parent.parent
console = Console()


def service_config(service: str) -> dict[str, Any]:
    """The service's nameko config, with `${ENV:default}` resolved as nameko does."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    path = ROOT / "deploy" / "config" / f"{service}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def settings(service: str) -> Settings:
    return Settings.from_config(service, service_config(service))


def all_queues() -> list[str]:
    return [queue for service in SERVICES for queue in consumed_queues(service)]


@click.group()
def cli() -> None:
    """Lianxin operations."""


@cli.group(name="deadletters")
def deadletters_group() -> None:
    """Messages parked after their handler failed for good."""


@deadletters_group.command(name="list")
def list_parked() -> None:
    """How many messages each consumer queue has parked."""
    depths = deadletters.depths(settings("cases").amqp_uri, all_queues())
    table = Table("queue", "parked")
    for queue, count in depths.items():
        table.add_row(queue, f"[red]{count}[/]" if count else "0")
    console.print(table)


@deadletters_group.command()
@click.argument("queue")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON lines.")
def show(queue: str, limit: int, as_json: bool) -> None:
    """The parked messages of QUEUE, left where they are."""
    parked = deadletters.inspect(settings("cases").amqp_uri, _known(queue), limit)
    if as_json:
        for entry in parked:
            click.echo(json.dumps(entry.__dict__, ensure_ascii=False, default=str))
        return
    table = Table("event id", "type", "case", "attempts", "why")
    for entry in parked:
        why = entry.error or entry.reason
        table.add_row(entry.event_id, entry.type, entry.case_id or "", str(entry.attempts), why)
    console.print(table)


@deadletters_group.command()
@click.argument("queue")
@click.option("--event-id", "event_ids", multiple=True, help="Replay only these (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Replay every parked message.")
def replay(queue: str, event_ids: tuple[str, ...], everything: bool) -> None:
    """Move parked messages back to QUEUE, attempts reset."""
    if not event_ids and not everything:
        raise click.UsageError("Name --event-id (repeatable) or --all.")
    chosen = None if everything else set(event_ids)
    moved = deadletters.replay(settings("cases").amqp_uri, _known(queue), chosen)
    console.print(f"replayed {moved} message(s) to {queue}")


def _known(queue: str) -> str:
    queue = queue.removesuffix(".dead")
    if queue not in all_queues():
        raise click.BadParameter(f"not a consumer queue; `deadletters list` names them: {queue}")
    return queue


@cli.group(name="metrics")
def metrics_group() -> None:
    """The metrics service's aggregates."""


@metrics_group.command()
@click.option("--apply", is_flag=True, help="Write the recomputed totals where they differ.")
def rebuild(apply: bool) -> None:
    """Recompute every day's totals from the stored facts and compare."""
    from lianxin.mongo import build_context, connect
    from services.metrics.handlers import rebuild as rebuild_totals
    from services.metrics.store import MetricsStore

    config = service_config("metrics")
    metrics_settings = Settings.from_config("metrics", config)
    client = connect(metrics_settings)
    try:
        store = MetricsStore(build_context(metrics_settings, config, client))
        differences = rebuild_totals(store, apply)
    finally:
        client.close()
    if not differences:
        console.print("[green]every day's totals match its facts[/]")
        return
    for difference in differences:
        console.print(f"[yellow]{difference['day']}[/] differs from its facts")
    verb = "rewritten" if apply else "left as they are (use --apply)"
    console.print(f"{len(differences)} day(s) {verb}")
    if not apply:
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
