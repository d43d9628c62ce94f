"""The roster's operator CLI, `python -m scripts.admin roster ...`: import a community,
check its rotas.

    roster import services/roster/data/jingxiang --dry-run  # every rejected row and why
    roster import services/roster/data/jingxiang            # store it, unless a row is rejected
    roster check jingxiang --days 7                          # gaps, overlaps, uneven load

Seeding is this command, run when an operator decides, never a side effect of a
service starting: a restart keeps leave, overrides and whatever the API changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from lianxin.access.actors import Actor
from lianxin.clock import utc_now
from lianxin.store.admin import service_context
from services.roster import compose
from services.roster.app import registry, views
from services.roster.domain.rows import YAML_SUFFIXES, ImportFileError, Row, rows_from_file
from services.roster.store import RosterStore

console = Console()
notes = Console(stderr=True)  # progress; stdout keeps the tables
OPERATOR = Actor("cli", "operator", frozenset({"admin"}), frozenset({"*"}))


# -- reading the files an operator names (the checking is services.roster.domain.imports) --


def read(paths: Iterable[Path]) -> list[Row]:
    """The rows of the given files, or of every .csv/.yaml file in a given directory."""
    rows: list[Row] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".csv", *YAML_SUFFIXES))
        else:
            files = [path]
        for file in files:
            rows.extend(read_file(file))
    return rows


def read_file(path: Path) -> list[Row]:
    return rows_from_file(path.name, path.read_text(encoding="utf-8-sig"))


@contextmanager
def roster_store() -> Iterator[RosterStore]:
    """The roster service's store, opened as the service opens it; the events and deadlines
    its changes cause are published by the roster service itself (lianxin.store.admin)."""
    with service_context("roster", notes.print) as context:
        parts = compose.build(context)
        parts.ensure_indexes()
        yield parts.store


@click.group(name="roster")
def roster() -> None:
    """Areas, people, teams, rotas: import and check."""


@roster.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row; store nothing.")
def import_community(paths: tuple[Path, ...], dry_run: bool) -> None:
    """Import areas, people, teams, rotas and policies from CSV/YAML files or folders.

    Nothing is stored while any row is rejected; each rejected row is listed with
    where it is and why. A row naming a record of another community moves it there,
    and is listed. Importing the same files again changes nothing."""
    try:
        rows = read(paths)
    except ImportFileError as exc:
        raise click.BadParameter(str(exc)) from None
    with roster_store() as store:
        result = registry.import_rows(
            store, rows, dry_run=dry_run, now=utc_now(), communities=OPERATOR.visible_communities()
        )
    table = Table("kind", "rows accepted", *(() if dry_run else ("changed",)))
    for kind, count in result.plan.counts().items():
        table.add_row(kind, str(count), *(() if dry_run else (str(result.changed.get(kind, 0)),)))
    console.print(table)
    if result.plan.moves:
        moved = Table("kind", "id", "from", "to", title="records moved between communities")
        for move in result.plan.moves:
            moved.add_row(move.kind, move.key, move.source or "", move.destination or "")
        console.print(moved)
    if result.plan.rejected:
        rejected = Table("where", "kind", "id", "why", title="rejected rows")
        for row in result.plan.rejected:
            rejected.add_row(row.source, row.kind, row.key, "\n".join(row.reasons))
        console.print(rejected)
        console.print(f"[red]{len(result.plan.rejected)} row(s) rejected: nothing imported[/]")
        raise SystemExit(1)
    if dry_run:
        console.print("[green]every row is fine[/] (dry run: nothing stored)")
    else:
        console.print(f"[green]imported[/]: {sum(result.changed.values())} document(s) changed")


@roster.command(name="check")
@click.argument("community_id")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 31))
def check(community_id: str, days: int) -> None:
    """Gaps (nobody on duty for a team and grid), overlaps (two of a team's rotas on duty
    at once in a grid) and uneven load over the coming days."""
    with roster_store() as store:
        found = views.rota_check(store, community_id, utc_now(), days, OPERATOR)
    gaps = Table("grid", "team", "from", "to", "hours", title="gaps")
    for gap in found["gaps"]:
        gaps.add_row(
            gap["grid_id"], gap["team"], str(gap["start"]), str(gap["end"]), str(gap["hours"])
        )
    console.print(gaps)
    overlaps = Table("grid", "team", "from", "to", "hours", title="overlaps (two rotas at once)")
    for span in found["overlaps"]:
        overlaps.add_row(
            span["grid_id"], span["team"], str(span["start"]), str(span["end"]), str(span["hours"])
        )
    console.print(overlaps)
    loads = Table("rota", "hours per member", "uneven", title="load")
    for load in found["loads"]:
        spread = ", ".join(f"{person} {hours:g}" for person, hours in load["hours"].items())
        loads.add_row(load["rota_id"], spread, "[yellow]yes[/]" if load["uneven"] else "no")
    console.print(loads)
