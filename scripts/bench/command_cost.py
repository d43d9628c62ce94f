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

COMMANDS_PER_ROUND = 4
DOCUMENT = {
    "description": "3栋2单元5楼楼道灯坏了好几天，晚上黑漆漆的" * 20,
    "state": "dispatched",
    "history": [{"at": f"2026-11-21T10:{minute:02d}:00Z", "what": "noted"} for minute in range(40)],
}

console = Console()


@click.command()
@click.option("--mongo-uri", default="mongodb://127.0.0.1:27017/", show_default=True)
@click.option("--rounds", default=3000, show_default=True, help="Rounds of four commands.")
@click.option("--repeat", default=3, show_default=True, help="Measurements; the median is quoted.")
def main(mongo_uri: str, rounds: int, repeat: int) -> None:
    pid = int((ROOT / "var" / "run" / "ferretdb.pid").read_text())
    client = MongoClient(mongo_uri)
    database = f"command_cost_{uuid.uuid4().hex[:8]}"
    collection = client[database]["cases"]
    try:
        collection.insert_many([{"_id": f"w{n}", **DOCUMENT} for n in range(200)])
        cpu_ms, wall_ms = [], []
        for _ in range(repeat):
            cpu, wall = measure(collection, pid, rounds)
            cpu_ms.append(cpu)
            wall_ms.append(wall)
            console.print(f"FerretDB CPU {cpu:.3f} ms/command, wall {wall:.3f} ms/command")
        console.print(
            f"[bold]median of {repeat}: FerretDB CPU {statistics.median(cpu_ms):.3f} ms per "
            f"by-_id command, wall {statistics.median(wall_ms):.3f} ms[/]"
        )
    finally:
        client.drop_database(database)
        client.close()


def measure(collection, pid: int, rounds: int) -> tuple[float, float]:
    """FerretDB CPU-ms and wall-ms per command over `rounds` insert/find/replace/delete."""
    cpu_before, started = process_seconds(pid), time.perf_counter()
    for n in range(rounds):
        key = f"k{n}"
        collection.insert_one({"_id": key, **DOCUMENT})
        collection.find_one({"_id": key})
        collection.replace_one({"_id": key}, {**DOCUMENT, "state": "closed"})
        collection.delete_one({"_id": key})
    commands = rounds * COMMANDS_PER_ROUND
    wall = time.perf_counter() - started
    return (process_seconds(pid) - cpu_before) * 1000 / commands, wall * 1000 / commands


if __name__ == "__main__":
    main()
