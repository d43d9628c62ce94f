"""The metrics repository: day buckets addressed by composite `_id`, changed under a lease."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from pymongo import ASCENDING

from lianxin.idempotency import already_applied, record_applied
from lianxin.mongo import StoreContext
from services.metrics.domain import Bucket


def from_document(document: dict[str, Any]) -> Bucket:
    return Bucket(
        document["community_id"],
        date.fromisoformat(document["day"]),
        document["category"],
        document.get("counts", {}),
    )


class BucketChange:
    def __init__(self, change, empty: Bucket):
        self._change = change
        self.bucket = from_document(change.document) if change.document else empty

    def applied(self, event_id: str) -> bool:
        return already_applied(self._change.document, event_id)

    def save(self, bucket: Bucket, event_id: str) -> None:
        document = {
            **(self._change.document or {}),
            "_id": bucket.id,
            "community_id": bucket.community_id,
            "day": bucket.day.isoformat(),
            "category": bucket.category,
            "counts": dict(bucket.counts),
        }
        self._change.save(record_applied(document, event_id))


class MetricsStore:
    def __init__(self, context: StoreContext):
        self.buckets = context.aggregates("buckets")

    def ensure_indexes(self) -> None:
        self.buckets.collection.create_index([("community_id", ASCENDING), ("day", ASCENDING)])

    def recover(self) -> int:
        return self.buckets.recover()

    @contextmanager
    def change(self, empty: Bucket) -> Iterator[BucketChange]:
        with self.buckets.change(empty.id) as change:
            yield BucketChange(change, empty)

    def buckets_of(
        self, community_id: str | None, since: date | None = None, until: date | None = None
    ) -> list[Bucket]:
        query: dict[str, Any] = {}
        if community_id:
            query["community_id"] = community_id
        if since or until:
            query["day"] = {
                key: value.isoformat() for key, value in (("$gte", since), ("$lte", until)) if value
            }
        projection = {"community_id": 1, "day": 1, "category": 1, "counts": 1}
        return [from_document(doc) for doc in self.buckets.collection.find(query, projection)]
