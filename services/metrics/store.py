"""The metrics repository: facts keyed by event id, day totals folded from them in batches.

Exactly once, with no document that grows with the events (DESIGN.md rule 4):

- `facts`: one document per event, `_id` = the event id. Its unique insert is the
  de-duplication, and the facts are what a rebuild recomputes the totals from.
- `days`: one document per community and day, changed under its lease. A batch of
  facts for one day is inserted (stamped with the batch id) and folded into the
  day's totals in one fenced write that also names the batch: that write is the
  commit point of the whole batch.
- `batches`: a marker per committed batch, inserted after that write and before
  the lease is released. A holder that crashed in between leaves its lease
  behind; whoever takes it over writes the missing marker first.

A fact that already exists (a redelivered event) counts again only if its batch
never committed; it is then re-stamped with the batch that counts it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from lianxin.clock import utc_now
from lianxin.faults import fault_point
from lianxin.mongo import StoreContext
from services.metrics.domain import Cell, DayTotals, Fact, day_id

DUPLICATE_KEY = 11000


def cells_to_document(cells: dict[Cell, int] | Any) -> list[dict[str, Any]]:
    """Rows of {d, v, m, n}: FerretDB takes no nested arrays, and category codes have
    dots, which no field name may."""
    return [
        {"d": dimension, "v": value, "m": measure, "n": count}
        for (dimension, value, measure), count in sorted(cells.items())
        if count
    ]


def cells_from_document(rows: Iterable[dict[str, Any]]) -> dict[Cell, int]:
    return {(row["d"], row["v"], row["m"]): row["n"] for row in rows}


def totals_from_document(document: dict[str, Any]) -> DayTotals:
    return DayTotals(
        document["community_id"],
        date.fromisoformat(document["day"]),
        cells_from_document(document.get("cells", ())),
    )


class MetricsStore:
    def __init__(self, context: StoreContext):
        self.facts = context.db["facts"]
        self.batches = context.db["batches"]
        self.days = context.aggregates("days")

    def ensure_indexes(self) -> None:
        self.days.collection.create_index([("community_id", ASCENDING), ("day", ASCENDING)])
        self.facts.create_index([("partition", ASCENDING)])

    def recover(self) -> int:
        return self.days.recover()

    def fold(self, community_id: str, day: date, facts: list[Fact], batch_id: str) -> int:
        """Count `facts` (all of one community-day) into its totals, each exactly once.
        Returns how many counted now; the others had been counted before."""
        with self.days.change(day_id(community_id, day)) as change:
            stored = change.document
            if change.taken_over and stored and stored.get("last_batch"):
                self._commit(stored["last_batch"])  # the crashed holder had written its batch
            fresh = self._record(facts, batch_id)
            if not fresh:
                return 0
            totals = totals_from_document(stored) if stored else DayTotals(community_id, day)
            change.save(
                self._document(totals.fold(fresh), batch_id), then=lambda: self._commit(batch_id)
            )
        return len(fresh)

    def _record(self, facts: list[Fact], batch_id: str) -> list[Fact]:
        """Insert the facts; return those to count now (new, or left by a batch that failed)."""
        unique = list({fact.event_id: fact for fact in facts}.values())
        try:
            documents = [_fact_document(fact, batch_id) for fact in unique]
            self.facts.insert_many(documents, ordered=False)
            return unique
        except BulkWriteError as error:
            duplicates = _duplicate_indexes(error)
        fresh = [fact for index, fact in enumerate(unique) if index not in duplicates]
        for index in sorted(duplicates):
            if self._uncounted(unique[index], batch_id):
                fresh.append(unique[index])
        return fresh

    def _uncounted(self, fact: Fact, batch_id: str) -> bool:
        stored = self.facts.find_one({"_id": fact.event_id})
        if stored is None or self.batches.find_one({"_id": stored["batch"]}) is not None:
            return False  # counted by a committed batch
        self.facts.replace_one({"_id": fact.event_id}, {**stored, "batch": batch_id})
        return True

    def _commit(self, batch_id: str) -> None:
        fault_point("metrics.before_commit_marker")
        with contextlib.suppress(DuplicateKeyError):  # written already, before a crash
            self.batches.insert_one({"_id": batch_id, "committed_at": utc_now()})

    @staticmethod
    def _document(totals: DayTotals, batch_id: str) -> dict[str, Any]:
        return {
            "_id": totals.id,
            "community_id": totals.community_id,
            "day": totals.day.isoformat(),
            "cells": cells_to_document(totals.cells),
            "last_batch": batch_id,
        }

    def days_of(self, community_id: str, days: Iterable[date]) -> list[DayTotals]:
        """One read by `_id` per day: the cost follows the period, not the number of cases."""
        found = (self.days.find(day_id(community_id, day)) for day in days)
        return [totals_from_document(document) for document in found if document]

    def all_days(self) -> Iterator[DayTotals]:
        """Every community's every day: a scan, for the gauges (cached) and admin work."""
        for document in self.days.collection.find({"cells": {"$exists": True}}):
            yield totals_from_document(document)

    def recount(self, community_id: str, day: date) -> tuple[DayTotals, DayTotals]:
        """Recompute one day's totals from its facts of committed batches; returns
        (stored, recomputed). A scan of the facts (indexed on MongoDB): admin work."""
        partition = day_id(community_id, day)
        with self.days.change(partition) as change:
            stored = change.document
            if change.taken_over and stored and stored.get("last_batch"):
                self._commit(stored["last_batch"])
            facts = list(self.facts.find({"partition": partition}))
            counted = [fact for fact in facts if self._committed(fact["batch"])]
            recomputed = DayTotals(community_id, day).fold(_fact(doc) for doc in counted)
            current = totals_from_document(stored) if stored else DayTotals(community_id, day)
        return current, recomputed

    def replace_totals(self, totals: DayTotals) -> None:
        """Write recomputed totals (rebuild --apply), keeping the day's last batch."""
        with self.days.change(totals.id) as change:
            last_batch = (change.document or {}).get("last_batch", "rebuild")
            change.save(self._document(totals, last_batch))

    def partitions(self) -> list[tuple[str, date]]:
        """Every community-day that has facts (a scan, for the rebuild)."""
        seen = {doc["partition"] for doc in self.facts.find({}, {"partition": 1})}
        return sorted(_split(partition) for partition in seen)

    def _committed(self, batch_id: str) -> bool:
        return self.batches.find_one({"_id": batch_id}) is not None


def _fact_document(fact: Fact, batch_id: str) -> dict[str, Any]:
    return {
        "_id": fact.event_id,
        "partition": fact.partition,
        "community_id": fact.community_id,
        "day": fact.day.isoformat(),
        "cells": cells_to_document(fact.cells),
        "batch": batch_id,
    }


def _fact(document: dict[str, Any]) -> Fact:
    return Fact(
        document["_id"],
        document["community_id"],
        date.fromisoformat(document["day"]),
        cells_from_document(document["cells"]),
    )


def _split(partition: str) -> tuple[str, date]:
    community_id, _, day = partition.rpartition(":")
    return community_id, date.fromisoformat(day)


def _duplicate_indexes(error: BulkWriteError) -> set[int]:
    errors = error.details.get("writeErrors", [])
    if any(entry.get("code") != DUPLICATE_KEY for entry in errors):
        raise error
    return {entry["index"] for entry in errors}
