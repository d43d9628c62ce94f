"""Operators' command line: API keys, dead-lettered messages, metrics rebuild.

    .venv/bin/python -m scripts.admin keys create --name ops --scope admin --community '*'
    .venv/bin/python -m scripts.admin keys list
    .venv/bin/python -m scripts.admin keys revoke <key id>
    .venv/bin/python -m scripts.admin deadletters list
    .venv/bin/python -m scripts.admin deadletters show metrics.facts
    .venv/bin/python -m scripts.admin deadletters replay metrics.facts --all
    .venv/bin/python -m scripts.admin metrics rebuild [--apply]
    .venv/bin/python -m scripts.admin roster import services/roster/data/jingxiang [--dry-run]
    .venv/bin/python -m scripts.admin roster check jingxiang [--days 7]
    .venv/bin/python -m scripts.admin estate import services/estate/data/jingxiang/households.csv

Settings come from deploy/config/<service>.yaml, which the environment overrides
(MONGO_URI, MONGO_DB_PREFIX, ...), exactly as the services read them.

The commands that change a service's data (keys, roster and estate imports, metrics
rebuild) write to its database and publish nothing: the service's own outbox sweep
publishes the events they cause, as the service's broker user, the only one allowed on its
exchange, and the command returns once it has (lianxin.store.admin). The roster's and
estate's commands are their services' own (services/roster/admin.py,
services/estate/admin.py), mounted here. The dead-letter commands speak to the broker as
its administrator, AMQP_URI (the local default: guest, from localhost only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.table import Table

from lianxin.access.actors import CHANNELS, ROLES, SCOPES
from lianxin.access.keys import IssuedKey, KeyRecord
from lianxin.bus import deadletters
from lianxin.clock import utc_now
from lianxin.config import Settings
from lianxin.store.admin import service_context
from scripts.stack import SERVICES, consumed_queues
from services.cases.app import keys
from services.cases.store import KeyNotFound, KeyStore
from services.estate.admin import estate
from services.roster.admin import roster

console = Console()
notes = Console(stderr=True)  # progress; stdout keeps what a script reads (a key, a table)


def broker_admin_uri() -> str:
    """The broker's administrator: replaying goes through the default exchange, which no
    service's user may write to."""
    return os.environ.get("AMQP_URI", Settings.amqp_uri)


def all_queues() -> list[str]:
    return [queue for service in SERVICES for queue in consumed_queues(service)]


@click.group()
def cli() -> None:
    """Lianxin operations."""


@contextmanager
def cases_keys() -> Iterator[KeyStore]:
    """The cases service's key store, as the service itself opens it."""
    with service_context("cases", notes.print) as context:
        yield KeyStore(context)


def issue_key(grant: keys.Grant) -> tuple[KeyRecord, IssuedKey]:
    """Issue a key straight into the cases service's store: how the first admin key is
    made. The operator, who holds the database, is bound by no issuer's limits."""
    with cases_keys() as store:
        return keys.issue(store, grant, utc_now())


@cli.group(name="keys")
def keys_group() -> None:
    """API keys: every service accepts the keys issued here."""


@keys_group.command(name="create")
@click.option("--name", required=True, help="Who holds it, e.g. 'hotline-12345'.")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES))
@click.option("--community", "communities", multiple=True, required=True, help="Or '*'.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    type=click.Choice(CHANNELS),
    help="An intake channel its reports may claim (default: app; hotline with --hotline).",
)
@click.option("--hotline", "hotline_id", help="Bind the key to this 12345 hotline.")
@click.option("--person", "person_id", help="Bind the key to this person.")
@click.option("--role", type=click.Choice(ROLES), help="The bound person's role.")
def create_key(name, scopes, communities, channels, hotline_id, person_id, role) -> None:
    """Issue a key and print it, this once."""
    if (person_id is None) != (role is None):
        raise click.UsageError("--person and --role go together.")
    if "hotline" in channels and hotline_id is None:
        raise click.UsageError("--channel hotline needs --hotline.")
    grant = keys.Grant.of(name, scopes, communities, channels or None, hotline_id, person_id, role)
    record, issued = issue_key(grant)
    console.print(
        f"key [bold]{record.id}[/] for {name}: scopes {', '.join(record.scopes)}, "
        f"communities {', '.join(record.communities)}, channels {', '.join(record.channels)}"
        + (f", hotline {record.hotline_id}" if record.hotline_id else "")
    )
    click.echo(issued.text)


@keys_group.command(name="list")
def list_keys() -> None:
    """Every key, newest first; no secrets."""
    with cases_keys() as store:
        records = store.all()
    table = Table("id", "name", "scopes", "communities", "person", "created", "revoked")
    for record in records:
        table.add_row(
            record.id,
            record.name,
            ",".join(record.scopes),
            ",".join(record.communities),
            record.person_id or "",
            str(record.created_at or ""),
            str(record.revoked_at or ""),
        )
    console.print(table)


@keys_group.command(name="revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    """Revoke a key for good."""
    with cases_keys() as store:
        try:
            record = keys.revoke(store, key_id, utc_now())
        except KeyNotFound as exc:
            raise click.BadParameter(str(exc)) from None
    console.print(f"key {record.id} ({record.name}) revoked at {record.revoked_at}")


@cli.group(name="deadletters")
def deadletters_group() -> None:
    """Messages parked after their handler failed for good."""


@deadletters_group.command(name="list")
def list_parked() -> None:
    """How many messages each consumer queue has parked."""
    depths = deadletters.depths(broker_admin_uri(), all_queues())
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
    parked = deadletters.inspect(broker_admin_uri(), _known(queue), limit)
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
    moved = deadletters.replay(broker_admin_uri(), _known(queue), chosen)
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
    from services.metrics.app.counting import rebuild as rebuild_totals
    from services.metrics.compose import build

    with service_context("metrics", notes.print) as context:
        differences = rebuild_totals(build(context).store, apply)
    if not differences:
        console.print("[green]every day's totals match its facts[/]")
        return
    for difference in differences:
        console.print(f"[yellow]{difference['day']}[/] differs from its facts")
    verb = "rewritten" if apply else "left as they are (use --apply)"
    console.print(f"{len(differences)} day(s) {verb}")
    if not apply:
        raise SystemExit(1)


cli.add_command(roster)
cli.add_command(estate)

if __name__ == "__main__":
    cli()
