"""Dispatch at scale: choosing whom to offer a case to costs the same with 100,000 people
and 1,000 grids as with 1,000 people and 10 grids, on the embedded store (FerretDB).

    .venv/bin/python -m scripts.bench.dispatch_scale [--sizes 1000:10,100000:1000] [--samples 300]

For each size a scratch database is filled with a synthetic registry as the import
stores it (communities of ten grids on a lattice, five teams, a rota per grid and
team, a hundred people per grid), then cases are dispatched one at a time at random
grids and categories, each on a cold replica (no cached definitions):
- `choice`: reading who is on duty and choosing (dispatch.candidates + dispatching.choose);
- `dispatch`: the whole use case for a `case.triaged` event: lease, choice, the chosen
  person reserved, the offer and the dispatch written, offer.made published.
The medians, 95th percentiles and the ratio big/small are printed and written to
var/bench/dispatch-scale-<timestamp>.json. A scratch RabbitMQ vhost takes what is
published; the vhost and databases are removed afterwards. Not a test: `make bench`
and this script measure, the tests check.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from kombu import Connection, Exchange, Queue
from pymongo import MongoClient
from rich.console import Console

from lianxin.bus import delays
from lianxin.bus.envelope import Envelope
from lianxin.bus.outbox import OutboxPublisher
from lianxin.config import Settings
from lianxin.store.engine import ConditionalWrites, Engine
from lianxin.store.lease import Leases
from lianxin.store.repository import StoreContext, ensure_indexes
from scripts.bench.harness import Isolation
from services.roster import compose
from services.roster.app import dispatch, registry
from services.roster.domain import dispatch as dispatching
from services.roster.domain.imports import plan
from services.roster.domain.rows import rows_from_document
from services.roster.store import RosterStore

ROOT = Path(__file__).resolve().parents[2]
GRIDS_PER_COMMUNITY = 10
TEAMS = {
    "red_vests": ["parking.*", "civility.*", "security.*"],
    "green_vests": ["environment.*"],
    "blue_vests": ["care.*"],
    "repair_crew": ["facility.*"],
    "grid_workers": ["general.*"],
}
CATEGORIES = {
    "facility.lighting": "repair_crew",
    "environment.litter": "green_vests",
    "parking.fire_lane": "red_vests",
    "care.elderly_alone": "blue_vests",
    "general.other": "grid_workers",
}
SHIFTS = ["FREQ=DAILY;BYHOUR=0 for 8h", "FREQ=DAILY;BYHOUR=8 for 8h", "FREQ=DAILY;BYHOUR=16 for 8h"]
console = Console(stderr=True)


class Nothing:
    def find(self, kind: str, key: str) -> None:
        return None


def registry_rows(people: int, grids: int) -> dict[str, list[dict[str, Any]]]:
    """A lattice of grids in communities of ten; per grid and team a rota of three
    crews taking three shifts a day."""
    side = math.ceil(math.sqrt(grids))
    per_rota = max(3, people // grids // len(TEAMS))
    document: dict[str, list[dict[str, Any]]] = {
        "areas": [{"code": "sd", "kind": "subdistrict", "name": "街道"}],
        "people": [],
        "teams": [],
        "rotas": [],
    }
    for community in range(math.ceil(grids / GRIDS_PER_COMMUNITY)):
        code = f"c{community:04d}"
        document["areas"].append(
            {
                "code": code,
                "kind": "community",
                "parent": "sd",
                "name": code,
                "timezone": "Asia/Shanghai",
            }
        )
        members = range(community * GRIDS_PER_COMMUNITY, min(grids, (community + 1) * 10))
        for team, categories in TEAMS.items():
            document["teams"].append(
                {
                    "community": code,
                    "code": team,
                    "name": team,
                    "categories": categories,
                    "grids": [f"g{g:05d}" for g in members],
                }
            )
    for g in range(grids):
        code, community = f"g{g:05d}", f"c{g // GRIDS_PER_COMMUNITY:04d}"
        column = g % side
        neighbours = [
            f"g{n:05d}"
            for n in (
                g - side,
                g + side,
                g - 1 if column else -1,
                g + 1 if column < side - 1 else -1,
            )
            if 0 <= n < grids and n // GRIDS_PER_COMMUNITY == g // GRIDS_PER_COMMUNITY
        ]
        document["areas"].append(
            {
                "code": code,
                "kind": "grid",
                "parent": community,
                "name": code,
                "neighbours": neighbours,
            }
        )
        for team in TEAMS:
            crew = [f"p-{code}-{team}-{n}" for n in range(per_rota)]
            document["people"].extend(
                {
                    "id": person,
                    "community": community,
                    "name": "测试",
                    "teams": [team],
                    "home_grids": [code],
                }
                for person in crew
            )
            document["rotas"].append(
                {
                    "id": f"{code}:{team}",
                    "community": community,
                    "team": team,
                    "grids": [code],
                    "starts": "2026-01-01",
                    "slots": SHIFTS,
                    "crews": [crew[index::3] for index in range(3)],
                }
            )
    return document


def fill(store: RosterStore, people: int, grids: int) -> dict[str, float]:
    """Store the registry as an import does, in bulk (a 100,000-person import through the
    API would measure the import, not dispatch)."""
    began = time.monotonic()
    checked = plan(rows_from_document(registry_rows(people, grids), "synthetic"), Nothing())
    if not checked.ok:
        raise SystemExit(f"synthetic registry rejected: {checked.rejected[:3]}")
    planned = time.monotonic()
    for kind, documents in checked.documents.items():
        for start in range(0, len(documents), 2000):
            store.db[kind].insert_many(documents[start : start + 2000], ordered=False)
    for community in sorted({area["community_id"] for area in checked.documents["areas"]} - {None}):
        registry.rebuild_lookups(store, community)
    return {"plan_seconds": planned - began, "store_seconds": time.monotonic() - planned}


def measure(store: RosterStore, grids: int, samples: int, rng: random.Random) -> dict[str, list]:
    now = datetime.now(UTC)
    timings: dict[str, list[float]] = {"choice": [], "dispatch": []}
    for sample in range(samples + 10):  # the first ten warm the connection
        grid = f"g{rng.randrange(grids):05d}"
        category = rng.choice(list(CATEGORIES))
        case = dispatching.CaseRef(
            f"LX-{uuid.uuid4().hex[:16].upper()}",
            f"c{int(grid[1:]) // GRIDS_PER_COMMUNITY:04d}",
            grid,
            category,
            CATEGORIES[category],
            "normal",
            "scale",
        )
        store.forget()
        began = time.perf_counter()
        pool = dispatch.candidates(store, dispatching.start(case), now)
        chosen = dispatching.choose(pool.candidates, (), case.case_id)
        chose = time.perf_counter() - began
        if chosen is None:
            raise SystemExit(f"nobody on duty in {grid} for {category}: the registry is wrong")
        triaged = Envelope(
            "case.triaged", {**case.__dict__, "case_version": 2}, "scale", case.case_id
        )
        store.forget()
        began = time.perf_counter()
        dispatch.on_case_event(store, triaged, now)
        dispatched = time.perf_counter() - began
        if sample >= 10:
            timings["choice"].append(chose)
            timings["dispatch"].append(dispatched)
    return timings


def figures(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
    }


@click.command(context_settings={"show_default": True})
@click.option("--sizes", default="1000:10,100000:1000", help="people:grids, small then big.")
@click.option("--samples", default=300, help="Cases dispatched per size.")
@click.option("--seed", default=7)
@click.option("--amqp-uri", envvar="BENCH_AMQP_URI", default="amqp://guest:guest@127.0.0.1:5672/")
@click.option("--mongo-uri", envvar="BENCH_MONGO_URI", default="mongodb://127.0.0.1:27017/")
@click.option("--output", type=click.Path(path_type=Path))
def main(sizes: str, samples: int, seed: int, amqp_uri: str, mongo_uri: str, output) -> None:
    shapes = [tuple(int(part) for part in size.split(":")) for size in sizes.split(",")]
    isolation = Isolation(uuid.uuid4().hex[:8], amqp_uri, mongo_uri)
    isolation.create()
    client = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    result: dict[str, Any] = {"samples": samples, "sizes": {}, "started_at": str(date.today())}
    try:
        with Connection(isolation.amqp_uri) as connection:
            delays.queues_exchange("roster")(connection.channel()).declare()
            for queue in delays.tiers("roster"):
                queue(connection.channel()).declare()
            sink = Queue("scale-sink", Exchange("roster.events", type="topic", durable=True), "#")
            sink(connection.channel()).declare()
        for people, grids in shapes:
            db = client[f"{isolation.db_prefix}{people}"]
            writes = ConditionalWrites(Engine.detect(db))
            context = StoreContext(
                db,
                writes.engine,
                writes,
                Leases(db["leases"], writes, ttl_seconds=10),
                OutboxPublisher(isolation.amqp_uri, "roster"),
                Settings("roster"),
                {},
            )
            parts = compose.build(context)
            ensure_indexes(context, parts)
            store = parts.store
            console.print(f"{people:,} people, {grids:,} grids: filling")
            setup = fill(store, people, grids)
            console.print(f"  filled in {setup['store_seconds']:.0f}s; dispatching {samples} cases")
            timings = measure(store, grids, samples, random.Random(seed))
            result["sizes"][f"{people}:{grids}"] = {
                "people": db["people"].estimated_document_count(),
                "grids": grids,
                **{name: figures(values) for name, values in timings.items()},
                **{key: round(value, 1) for key, value in setup.items()},
            }
            with Connection(isolation.amqp_uri) as connection:
                Queue("scale-sink")(connection.channel()).purge()
    finally:
        client.close()
        isolation.destroy()
    small, big = (result["sizes"][f"{p}:{g}"] for p, g in (shapes[0], shapes[-1]))
    result["ratio"] = {
        name: round(big[name]["median_ms"] / small[name]["median_ms"], 2)
        for name in ("choice", "dispatch")
    }
    output = (
        output or ROOT / "var" / "bench" / f"dispatch-scale-{datetime.now():%Y%m%dT%H%M%S}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2))
    out = Console()
    for found in result["sizes"].values():
        choice, dispatch = found["choice"], found["dispatch"]
        out.print(
            f"{found['people']:>7,} people {found['grids']:>5,} grids: "
            f"choice median {choice['median_ms']} ms (p95 {choice['p95_ms']}), "
            f"dispatch median {dispatch['median_ms']} ms (p95 {dispatch['p95_ms']})"
        )
    out.print(
        f"big/small: choice ×{result['ratio']['choice']}, dispatch ×{result['ratio']['dispatch']}"
        f" (target: within ×2); {output}"
    )


if __name__ == "__main__":
    main()
