"""By-`_id` cost at two collection sizes, on the same FerretDB the services use.

In a scratch database, case-like documents (~1.5 KB of BSON: Chinese text, a
location, a reporter, a timeline) are inserted up to the first size, then the
second. At each size, a few hundred random ids are read, replaced, updated and
deleted by `_id` (every delete is put back, untimed, so the size holds), and
the median of each operation is taken. docs/architecture.md rule 8 wants hot paths to stay
flat with the size; the ratio big/small says whether they do. FerretDB's own
`explain` of a by-`_id` find shows whether SQLite uses the `_id` index.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import bson
from pymongo import MongoClient

from scripts.bench.workload import Workload

OPERATIONS = ("find_one", "replace_one", "update_one", "delete_one")
BATCH = 2000


def case_document(index: int, workload: Workload, rng: Random) -> dict[str, Any]:
    report = workload.next()
    at = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=index)
    body = report.body
    steps = [
        ("report", "reported", body["channel"]),
        ("triage", "triaged", "triage"),
        ("dispatch", "dispatched", "roster"),
    ]
    return {
        "_id": f"LX-{index:016X}",
        "state": "dispatched",
        "community_id": body["community_id"],
        "grid_id": body["location"]["grid_id"],
        "category": report.category,
        "team": "repair_crew",
        "priority": "normal",
        "description": body["description"],
        "channel": body["channel"],
        "reported_at": at,
        "accept_by": at + timedelta(minutes=30),
        "resolve_by": at + timedelta(hours=24),
        "assignee": f"p-repair-{rng.randint(1, 7)}",
        "assignee_name": "石**",
        "offer_id": f"OF-{rng.getrandbits(64):016X}",
        "resolution": None,
        "volunteer_hours": 0.0,
        "location": body["location"],
        "reporter": body.get("reporter", {}),
        "timeline": [
            {"at": at, "action": action, "state": state, "by": by, "note": "已受理，派单处理中"}
            for action, state, by in steps
        ],
        "intake_fingerprint": f"{rng.getrandbits(256):064x}",
        "correlation_id": report.key,
        "applied_events": [f"{rng.getrandbits(128):032x}" for _ in range(2)],
        "outbox": [],
        "_fence": f"{rng.getrandbits(128):032x}",
    }


def measure_by_id(
    mongo_uri: str,
    database: str,
    sizes: tuple[int, ...] = (1_000, 100_000),
    samples: int = 300,
    seed: int = 7,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    client = MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    rng = Random(seed)
    workload = Workload(seed=seed, tag="STORE")
    collection = client[database]["cases"]
    results: dict[str, Any] = {"sizes": list(sizes), "samples": samples, "operations": {}}
    try:
        client.drop_database(database)
        inserted = 0
        document_bytes: list[int] = []
        for size in sizes:
            started = time.monotonic()
            while inserted < size:
                batch = [
                    case_document(index, workload, rng)
                    for index in range(inserted, min(size, inserted + BATCH))
                ]
                document_bytes.extend(len(bson.encode(doc)) for doc in batch[:50])
                collection.insert_many(batch, ordered=False)
                inserted += len(batch)
            progress(f"by-_id: {size:,} documents ({time.monotonic() - started:.1f}s to insert)")
            timings = _time_operations(collection, size, samples, rng)
            for operation, values in timings.items():
                results["operations"].setdefault(operation, {})[str(size)] = {
                    "median_ms": round(statistics.median(values) * 1000, 3),
                    "p95_ms": round(_quantile(values, 0.95) * 1000, 3),
                }
        small, big = str(sizes[0]), str(sizes[-1])
        for figures in results["operations"].values():
            figures["ratio"] = round(figures[big]["median_ms"] / figures[small]["median_ms"], 2)
        results["worst_ratio"] = max(f["ratio"] for f in results["operations"].values())
        results["document_bytes_median"] = int(statistics.median(document_bytes))
        results["explain"] = explain_by_id(collection, f"LX-{0:016X}")
    finally:
        client.drop_database(database)
        client.close()
    return results


def _time_operations(collection, size: int, samples: int, rng: Random) -> dict[str, list[float]]:
    ids = [f"LX-{rng.randrange(size):016X}" for _ in range(samples)]
    timings: dict[str, list[float]] = {operation: [] for operation in OPERATIONS}
    for warm in ids[:10]:  # connection, statement cache
        collection.find_one({"_id": warm})
    for document_id in ids:
        started = time.perf_counter()
        document = collection.find_one({"_id": document_id})
        timings["find_one"].append(time.perf_counter() - started)
        document["state"] = "accepted"
        started = time.perf_counter()
        collection.replace_one({"_id": document_id}, document)
        timings["replace_one"].append(time.perf_counter() - started)
        started = time.perf_counter()
        collection.update_one({"_id": document_id}, {"$set": {"state": "resolved"}})
        timings["update_one"].append(time.perf_counter() - started)
        started = time.perf_counter()
        collection.delete_one({"_id": document_id})
        timings["delete_one"].append(time.perf_counter() - started)
        collection.insert_one(document)  # put back, untimed
    return timings


def explain_by_id(collection, document_id: str) -> dict[str, Any]:
    """The engine's plan for `find({_id: …})`: FerretDB's SQLite plan lines, or MongoDB's
    winning stage."""
    try:
        answer = collection.database.command(
            "explain",
            {"find": collection.name, "filter": {"_id": document_id}},
            verbosity="queryPlanner",
        )
    except Exception as exc:
        return {"plan": f"explain failed: {exc}", "uses_index": None}
    planner = answer.get("queryPlanner", {})
    if "Plan" in planner:  # FerretDB + SQLite
        lines = [str(line) for line in planner["Plan"]]
        plan = next(
            (line for line in lines if "SEARCH" in line or "SCAN" in line), "; ".join(lines)
        )
        return {
            "plan": plan,
            "uses_index": "USING" in plan and "INDEX" in plan,
            "pushdown": answer.get("filterPushdown"),
        }
    stage = str(planner.get("winningPlan", {}))
    return {"plan": stage[:300], "uses_index": "IDHACK" in stage or "IXSCAN" in stage}


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
