"""Estate's operator CLI, `python -m scripts.admin estate ...`: import a household register.

    estate import services/estate/data/jingxiang/households.csv --dry-run  # rejected rows
    estate import services/estate/data/jingxiang/households.csv            # store them

Seeding is this command, run when an operator decides, never a side effect of the service
starting. Importing the same file again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from lianxin.store.admin import service_context
from services.estate import compose
from services.estate.app import register
from services.estate.domain.households import ImportFileError, rows_from_csv

console = Console()
notes = Console(stderr=True)  # progress; stdout keeps the tables


@click.group(name="estate")
def estate() -> None:
    """The household register: import and check."""


@estate.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row; store nothing.")
def import_register(path: Path, dry_run: bool) -> None:
    """Import a household register (households.csv). Nothing is stored while any row is
    rejected; each rejected row is listed with where it is and why."""
    try:
        rows = rows_from_csv(path.name, path.read_text(encoding="utf-8-sig"))
    except ImportFileError as exc:
        raise click.BadParameter(str(exc)) from None
    with service_context("estate", notes.print) as context:
        parts = compose.build(context)
        parts.ensure_indexes()
        result = register.import_register(parts.store, rows, parts.digest, None, dry_run=dry_run)
    if result.plan.rejected:
        rejected = Table("where", "household", "why", title="rejected rows")
        for row in result.plan.rejected:
            rejected.add_row(row.source, row.household_id, "\n".join(row.reasons))
        console.print(rejected)
        console.print(f"[red]{len(result.plan.rejected)} row(s) rejected: nothing imported[/]")
        raise SystemExit(1)
    accepted = len(result.plan.households)
    if dry_run:
        console.print(f"[green]{accepted} households, every row fine[/] (dry run: nothing stored)")
    else:
        console.print(f"[green]imported[/]: {accepted} households, {result.changed} changed")
