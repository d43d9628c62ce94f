"""The notify repository: deliveries addressed by `_id`, changed under a lease."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING

from lianxin.envelope import Envelope
from lianxin.mongo import StoreContext
from services.notify.domain import Delivery


def from_document(document: dict[str, Any]) -> Delivery:
    fields = {key: value for key, value in document.items() if key in Delivery.__dataclass_fields__}
    return Delivery(id=document["_id"], **{k: v for k, v in fields.items() if k != "id"})


class DeliveryChange:
    def __init__(self, change):
        self._change = change
        self.delivery = from_document(change.document) if change.document else None

    def save(self, delivery: Delivery, events: Iterable[Envelope], body: dict[str, Any]) -> None:
        document = asdict(delivery)
        document["_id"] = document.pop("id")
        self._change.save({**document, "body": body}, events)


class NotifyStore:
    def __init__(self, context: StoreContext):
        self.deliveries = context.aggregates("deliveries")

    def ensure_indexes(self) -> None:
        self.deliveries.collection.create_index([("case_id", ASCENDING)])
        self.deliveries.collection.create_index([("state", ASCENDING)])

    def recover(self) -> int:
        return self.deliveries.recover()

    @contextmanager
    def change(self, delivery_id: str) -> Iterator[DeliveryChange]:
        with self.deliveries.change(delivery_id) as change:
            yield DeliveryChange(change)

    def get(self, delivery_id: str) -> Delivery | None:
        document = self.deliveries.find(delivery_id)
        return from_document(document) if document else None
