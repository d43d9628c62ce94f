"""FerretDB's own CPU per by-`_id` command: what every aggregate change is made of.

    .venv/bin/python -m scripts.bench.command_cost [--rounds 3000] [--repeat 3]

In a scratch database, each round inserts a document the size of a case (~3 KB),
finds it, replaces it and deletes it, all by `_id`, one command at a time as the
services send them. FerretDB's CPU (utime + stime of the process in
var/run/ferretdb.pid) is read before and after: the figure is its CPU-ms per
command, and the wall time per command as the client sees it. Run it against the
FerretDB `make infra` started, with nothing else busy; quote the median of the
repeats. It is how deploy/local/ferretdb-resource-tracking-debug-only.patch was
measured (build FerretDB with and without it and compare).

    .venv/bin/python -m scripts.bench.command_cost --listing-indexes

measures instead, in turns within one run, a collection with only the `_id` index and
one with the cases listing's seven indexes as well, on documents that carry the listed
fields: what SQLite's upkeep of indexes FerretDB never reads costs each write (the
reason lianxin.store.repository.ensure_indexes makes none on FerretDB).
"""

from __future__ import annotations

import statistics
import time
import uuid

import click
from pymongo import MongoClient
from rich.console import Console

from scripts.bench.cpu import process_seconds
from scripts.stack import ROOT
from services.cases.store import LISTING_INDEXES

COMMANDS_PER_ROUND = 4
DOCUMENT = {
    "description": "3栋2单元5楼楼道灯坏了好几天，晚上黑漆漆的" * 20,
    "state": "dispatched",
    "history": [{"at": f"2026-11-21T10:{minute:02d}:00Z", "what": "noted"} for minute in range(40)],
}
LISTED = {  # the fields the listing indexes name, as a case has them
    "community_id": "jingxiang",
    "state": "dispatched",
    "grid_id": "jingxiang-g1",
    "category": "facility.lighting",
    "channel": "hotline",
    "is_overdue": False,
    "reported_at": "2026-11-21T10:00:00Z",
}

console = Console()


@click.command()
@click.option("--mongo-uri", default="mongodb://127.0.0.1:27017/", show_default=True)
@click.option("--rounds", default=3000, show_default=True, help="Rounds of four commands.")
@click.option("--repeat", default=3, show_default=True, help="Measurements; the median is quoted.")
@click.option(
    "--listing-indexes",
    is_flag=True,
    help="Compare a collection without and with the cases listing's seven indexes.",
)
def main(mongo_uri: str, rounds: int, repeat: int, listing_indexes: bool) -> None:
    pid = int((ROOT / "var" / "run" / "ferretdb.pid").read_text())
    client = MongoClient(mongo_uri)
    database = f"command_cost_{uuid.uuid4().hex[:8]}"
    document = {**DOCUMENT, **LISTED} if listing_indexes else DOCUMENT
    setups = {"_id only": client[database]["cases"]}
    if listing_indexes:
        setups["_id and listing"] = client[database]["listed_cases"]
        for keys in LISTING_INDEXES:
            setups["_id and listing"].create_index(keys)
    try:
        cpu_ms: dict[str, list[float]] = {name: [] for name in setups}
        wall_ms: dict[str, list[float]] = {name: [] for name in setups}
        for collection in setups.values():
            collection.insert_many([{"_id": f"w{n}", **document} for n in range(200)])
        for _ in range(repeat):
            for name, collection in setups.items():  # in turns: the machine's drift hits both
                cpu, wall = measure(collection, pid, rounds, document)
                cpu_ms[name].append(cpu)
                wall_ms[name].append(wall)
                console.print(f"{name}: FerretDB CPU {cpu:.3f} ms/command, wall {wall:.3f} ms")
        for name in setups:
            console.print(
                f"[bold]{name}, median of {repeat}: FerretDB CPU "
                f"{statistics.median(cpu_ms[name]):.3f} ms per by-_id command, "
                f"wall {statistics.median(wall_ms[name]):.3f} ms[/]"
            )
    finally:
        client.drop_database(database)
        client.close()


def measure(collection, pid: int, rounds: int, document: dict) -> tuple[float, float]:
    """FerretDB CPU-ms and wall-ms per command over `rounds` insert/find/replace/delete."""
    cpu_before, started = process_seconds(pid), time.perf_counter()
    for n in range(rounds):
        key = f"k{n}"
        collection.insert_one({"_id": key, **document})
        collection.find_one({"_id": key})
        collection.replace_one({"_id": key}, {**document, "state": "closed"})
        collection.delete_one({"_id": key})
    commands = rounds * COMMANDS_PER_ROUND
    wall = time.perf_counter() - started
    return (process_seconds(pid) - cpu_before) * 1000 / commands, wall * 1000 / commands


if __name__ == "__main__":
    main()
