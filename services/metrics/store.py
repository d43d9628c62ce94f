"""The metrics repository: facts keyed by their own id, totals folded from them in batches.

Exactly once, with no document that grows with the events (DESIGN.md rule 4):

- `facts`: one document per fact (an event's part in one partition), `_id` = the
  fact id. Its unique insert is the de-duplication, and the facts are what a
  rebuild recomputes the totals from.
- `days` and `live`: one totals aggregate per partition (a community's day, or its
  running totals: `StoredTotals`, lianxin.store.typed.Aggregates), changed under its
  lease. A batch of facts for one partition is inserted (stamped with the batch id)
  and folded into the totals in one fenced write that also names the batch: that
  write is the commit point of the batch.
- `batches`: a marker per committed batch, inserted after that write and before
  the lease is released. A holder that crashed in between leaves its lease
  behind; whoever takes it over writes the missing marker first: a fold, a
  rebuild or the outbox sweeper (the aggregates' `on_takeover`). The
  sweeper releases the lease, so a fold after it takes nothing over; had the
  sweeper skipped the marker, the redelivered facts would count again.

A fact that already exists (a redelivered event) counts again only if its batch
never committed; it is then re-stamped with the batch that counts it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from lianxin.clock import utc_now
from lianxin.faults import fault_point
from lianxin.store.aggregates import recover_all
from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, Aggregates, Codec
from services.metrics.domain.totals import Cell, Fact, Level, Partition, Totals, kept

DUPLICATE_KEY = 11000
CONCURRENT_READS = 8


def cells_to_document(cells: Mapping[Cell, int]) -> str:
    """The cells as compact JSON text, [[dimension, value, measure, count], ...]: FerretDB
    reads and writes one string many times faster than an array of small documents (2 ms
    against 20 ms for a day of 300 cells), takes no nested arrays, and no field name may
    hold the dots of category codes."""
    rows = [[*cell, count] for cell, count in sorted(cells.items()) if kept(cell[2], count)]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def cells_from_document(stored: str | Iterable[Mapping[str, Any]]) -> dict[Cell, int]:
    if not isinstance(stored, str):  # rows of {d, v, m, n}, as the first release stored them
        return {(row["d"], row["v"], row["m"]): row["n"] for row in stored}
    return {(dimension, value, measure): n for dimension, value, measure, n in json.loads(stored)}


def levels_to_document(levels: Mapping[str, Level]) -> str:
    rows = [
        [level.key, level.order, level.event_id, dict(level.value)]
        for _, level in sorted(levels.items())
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def levels_from_document(stored: str) -> dict[str, Level]:
    return {
        key: Level(key, order, event_id, value)
        for key, order, event_id, value in json.loads(stored)
    }


def totals_from_document(document: Mapping[str, Any]) -> Totals:
    return Totals(
        Partition.parse(document["_id"]),
        cells_from_document(document.get("cells", "[]")),
        levels_from_document(document.get("levels", "[]")),
    )


@dataclass(frozen=True)
class StoredTotals:
    """A partition's totals as stored, with the batch last folded into them: the write
    that named it was that batch's commit point."""

    totals: Totals
    last_batch: str | None = None


def stored_totals_to_document(stored: StoredTotals) -> dict[str, Any]:
    partition = stored.totals.partition
    return {
        "community_id": partition.community_id,
        "day": partition.day.isoformat() if partition.day else None,
        "cells": cells_to_document(stored.totals.cells),
        "levels": levels_to_document(stored.totals.levels),
        "last_batch": stored.last_batch,
    }


def stored_totals_from_document(document: Mapping[str, Any]) -> StoredTotals:
    return StoredTotals(totals_from_document(document), document.get("last_batch"))


TOTALS = Codec(stored_totals_to_document, stored_totals_from_document)


class MetricsStore:
    def __init__(self, context: StoreContext):
        self.facts = context.db["facts"]
        self.batches = context.db["batches"]
        self.days = Aggregates(context, "days", TOTALS, on_takeover=self._commit_last_batch)
        self.live = Aggregates(context, "live", TOTALS, on_takeover=self._commit_last_batch)
        # the latest closed quarter of each estate's property evaluation (app/property_quarters.py)
        self.property_quarters = Aggregates(context, "property_quarters", DOCUMENTS)

    def ensure_indexes(self) -> None:
        # the rebuild reads one partition's facts (admin work; MongoDB serves it by index)
        self.facts.create_index([("partition", ASCENDING)])

    def recover(self) -> int:
        return recover_all((self.days, self.live, self.property_quarters))

    def keep_property_quarter(self, key: str, quarter: Mapping[str, Any]) -> bool:
        """An estate's closed quarter, kept unless a later one is: a late or repeated event
        changes nothing. Returns whether it was kept."""
        with self.property_quarters.change(key) as change:
            held = change.value
            if held is not None and held["quarter"] >= quarter["quarter"]:
                return False
            change.save(dict(quarter))
        return True

    def property_quarters_all(self) -> list[dict[str, Any]]:
        """Every estate's latest closed quarter (one document an estate: a few hundred)."""
        return self.property_quarters.query()

    def _aggregates(self, partition: Partition) -> Aggregates[StoredTotals]:
        return self.live if partition.is_live else self.days

    # -- counting ---------------------------------------------------------------------

    def fold(self, partition: Partition, facts: list[Fact], batch_id: str) -> int:
        """Count `facts` (all of one partition) into its totals, each exactly once.
        Returns how many counted now; the others had been counted before."""
        with self._aggregates(partition).change(partition.id) as change:
            fresh = self._record(facts, batch_id)
            if not fresh:
                return 0
            totals = change.value.totals if change.value else Totals(partition)
            folded = StoredTotals(totals.fold(fresh), batch_id)
            change.save(folded, then=lambda: self._commit(batch_id))
        return len(fresh)

    def _record(self, facts: list[Fact], batch_id: str) -> list[Fact]:
        """Insert the facts; return those to count now (new, or left by a batch that failed)."""
        unique = list({fact.id: fact for fact in facts}.values())
        try:
            self.facts.insert_many([_fact_document(f, batch_id) for f in unique], ordered=False)
            return unique
        except BulkWriteError as error:
            duplicates = _duplicate_indexes(error)
        fresh = [fact for index, fact in enumerate(unique) if index not in duplicates]
        for index in sorted(duplicates):
            if self._uncounted(unique[index], batch_id):
                fresh.append(unique[index])
        return fresh

    def _uncounted(self, fact: Fact, batch_id: str) -> bool:
        stored = self.facts.find_one({"_id": fact.id})
        if stored is None or self._committed(stored["batch"]):
            return False  # counted by a committed batch
        # re-stamped whole: the partition is this batch's, even if the first try chose
        # another (a community's time zone learned in between)
        self.facts.replace_one({"_id": fact.id}, _fact_document(fact, batch_id))
        return True

    def _commit_last_batch(self, stored: StoredTotals | None) -> None:
        """On any takeover: the totals name the last batch folded into them, and that
        write was its commit point, so its marker is due even if the crashed holder never
        wrote it (a marker written already is left as it is)."""
        if stored and stored.last_batch:
            self._commit(stored.last_batch)

    def _commit(self, batch_id: str) -> None:
        fault_point("metrics.before_commit_marker")
        with contextlib.suppress(DuplicateKeyError):  # written already, before a crash
            self.batches.insert_one({"_id": batch_id, "committed_at": utc_now()})

    def _committed(self, batch_id: str) -> bool:
        return self.batches.find_one({"_id": batch_id}) is not None

    # -- reading ----------------------------------------------------------------------

    def days_of(self, community_id: str, days: Iterable[date]) -> dict[date, Totals]:
        """One read by `_id` per day: the cost follows the period, not the number of cases.
        A few run at once (green threads in a service), so a year reads in a fraction of
        366 round trips; a filter on `_id` with `$in` would scan the collection on FerretDB."""
        wanted = list(days)
        with ThreadPoolExecutor(max_workers=CONCURRENT_READS) as pool:
            stored = pool.map(lambda day: self.days.get(Partition(community_id, day).id), wanted)
            found = zip(wanted, stored, strict=True)
            return {day: totals.totals for day, totals in found if totals}

    def live_of(self, community_id: str) -> Totals | None:
        stored = self.live.get(Partition(community_id).id)
        return stored.totals if stored else None

    def all_live(self) -> list[Totals]:
        """Every community's running totals: one small document per community, so a full
        read stays small (the gauges' timer, not a request)."""
        return [stored.totals for stored in self.live.query()]

    # -- rebuilding (admin work) --------------------------------------------------------

    def recount(self, partition: Partition, apply: bool = False) -> tuple[Totals, Totals]:
        """Recompute one partition's totals from its facts of committed batches; returns
        (stored, recomputed). With `apply`, totals that differ are replaced in the same
        change, so a batch folded meanwhile is never overwritten. A scan of the facts
        (indexed on MongoDB): admin work."""
        with self._aggregates(partition).change(partition.id) as change:
            facts = list(self.facts.find({"partition": partition.id}))
            counted = [_fact(doc) for doc in facts if self._committed(doc["batch"])]
            recomputed = Totals(partition).fold(counted)
            stored = change.value or StoredTotals(Totals(partition))
            if apply and not stored.totals.same_as(recomputed):
                change.save(StoredTotals(recomputed, stored.last_batch or "rebuild"))
        return stored.totals, recomputed

    def partitions(self) -> list[Partition]:
        """Every partition that has facts (a scan, for the rebuild)."""
        seen = {doc["partition"] for doc in self.facts.find({}, {"partition": 1})}
        return sorted(
            (Partition.parse(partition) for partition in seen),
            key=lambda p: (p.community_id, p.day or date.max),
        )


def _fact_document(fact: Fact, batch_id: str) -> dict[str, Any]:
    return {
        "_id": fact.id,
        "partition": fact.partition.id,
        "cells": cells_to_document(fact.cells),
        "levels": levels_to_document(fact.levels),
        "batch": batch_id,
    }


def _fact(document: Mapping[str, Any]) -> Fact:
    return Fact(
        document["_id"],
        Partition.parse(document["partition"]),
        cells_from_document(document.get("cells", "[]")),
        levels_from_document(document.get("levels", "[]")),
    )


def _duplicate_indexes(error: BulkWriteError) -> set[int]:
    errors = error.details.get("writeErrors", [])
    if any(entry.get("code") != DUPLICATE_KEY for entry in errors):
        raise error
    return {entry["index"] for entry in errors}
