"""The notify repository. Every hot path reads and writes by `_id`:

- deliveries      one per (cause, recipient, channel), changed under a lease, with the
                  outcome events and the next attempt's Deadline in its outbox
- people          roster's people by their id (contacts, quiet hours), and each one's
                  recent sends and pending bundle
- places          roster's area nodes by code (names, a community's time zone)
- staff           `<community>`: the ids of its staff (a small index document)
- follows         `<case>`: what later messages about a case need and its events do
                  not carry (description, location, the resident's contact when
                  they consented), written by case.reported and case.closed
- link_uses       `<delivery id>:<action>`: one insert per action of a delivery's links,
                  the single use

Filtered queries serve listings only, each with its index (ensure_indexes):
dead deliveries for the admin API, and a case's deliveries.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from lianxin.store.aggregates import Change, recover_all
from lianxin.store.documents import document_of
from lianxin.store.repository import StoreContext
from services.notify.domain import Attempt, Contact, Delivery, Recipient

LISTING_LIMIT = 200
REPLICA_CACHE_SECONDS = 2.0


def delivery_document(delivery: Delivery) -> dict[str, Any]:
    document = document_of(delivery)
    document["_id"] = document.pop("id")
    return document


def delivery_from(document: Mapping[str, Any]) -> Delivery:
    return Delivery(
        id=document["_id"],
        cause_id=document["cause_id"],
        kind=document["kind"],
        recipient=Recipient(**document["recipient"]),
        contact=Contact(**document["contact"]),
        message=document.get("message") or {},
        created_at=document["created_at"],
        community_id=document.get("community_id", ""),
        case_id=document.get("case_id"),
        category=document.get("category", ""),
        urgent=bool(document.get("urgent")),
        fallbacks=tuple(Contact(**contact) for contact in document.get("fallbacks", ())),
        state=document.get("state", "pending"),
        attempts=int(document.get("attempts", 0)),
        history=tuple(Attempt(**attempt) for attempt in document.get("history", ())),
        next_attempt_at=document.get("next_attempt_at"),
        expected_deadline=document.get("expected_deadline"),
        sent_at=document.get("sent_at"),
        dead_at=document.get("dead_at"),
        bundled_into=document.get("bundled_into"),
        bundle=tuple(document.get("bundle", ())),
    )


class DeliveryChange:
    """A delivery under its lease: the current one (None when new) and where to save."""

    def __init__(self, change: Change):
        self._change = change
        self.delivery = delivery_from(change.document) if change.document else None

    def save(self, delivery: Delivery, events: Iterable[Envelope | Deadline] = ()) -> None:
        self._change.save(delivery_document(delivery), list(events))


class RecordChange:
    """Any other aggregate of this store under its lease: a plain document."""

    def __init__(self, change: Change):
        self._change = change
        self.document: dict[str, Any] = dict(change.document or {})
        self.exists = change.document is not None

    def save(self, document: Mapping[str, Any], events: Iterable[Envelope | Deadline] = ()) -> None:
        self._change.save(dict(document), list(events))


class NotifyStore:
    def __init__(self, context: StoreContext):
        self.deliveries = context.aggregates("deliveries")
        self.people = context.aggregates("people")
        self.places = context.aggregates("places")
        self.staff = context.aggregates("staff")
        self.follows = context.aggregates("follows")
        self._link_uses = context.db["link_uses"]
        self._all = (self.deliveries, self.people, self.places, self.staff, self.follows)
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}

    def ensure_indexes(self) -> None:
        # GET /v1/deliveries/dead: dead deliveries, newest first, of one community or all
        self.deliveries.collection.create_index(
            [("state", ASCENDING), ("community_id", ASCENDING), ("dead_at", DESCENDING)]
        )
        self.deliveries.collection.create_index([("state", ASCENDING), ("dead_at", DESCENDING)])
        # GET /v1/deliveries?case_id=: what was sent about one case
        self.deliveries.collection.create_index([("case_id", ASCENDING)])

    def recover(self) -> int:
        return recover_all(self._all)

    # deliveries

    @contextmanager
    def delivery_change(self, delivery_id: str) -> Iterator[DeliveryChange]:
        with self.deliveries.change(delivery_id) as change:
            yield DeliveryChange(change)

    def delivery(self, delivery_id: str) -> Delivery | None:
        document = self.deliveries.find(delivery_id)
        return delivery_from(document) if document else None

    def dead(self, communities: frozenset[str] | None, limit: int) -> tuple[int, list[Delivery]]:
        """Dead deliveries, newest first, and how many there are (admin listing)."""
        query: dict[str, Any] = {"state": "dead"}
        if communities is not None:
            query["community_id"] = {"$in": sorted(communities)}
        collection = self.deliveries.collection
        count = collection.count_documents(query)
        found = collection.find(query).sort("dead_at", DESCENDING).limit(min(limit, LISTING_LIMIT))
        return count, [delivery_from(document) for document in found]

    def of_case(self, case_id: str) -> list[Delivery]:
        found = self.deliveries.collection.find({"case_id": case_id}).limit(LISTING_LIMIT)
        return sorted((delivery_from(d) for d in found), key=lambda d: d.created_at)

    # replicas and small index documents, all changed under a lease

    @contextmanager
    def record_change(self, aggregates_name: str, record_id: str) -> Iterator[RecordChange]:
        with getattr(self, aggregates_name).change(record_id) as change:
            yield RecordChange(change)

    def create_record(
        self, aggregates_name: str, record_id: str, document: Mapping[str, Any]
    ) -> bool:
        """Store a record that does not exist yet, by one unique insert; False if it does."""
        return getattr(self, aggregates_name).create(record_id, document)

    def record(self, aggregates_name: str, record_id: str) -> dict[str, Any] | None:
        return getattr(self, aggregates_name).find(record_id)

    def replica(self, aggregates_name: str, record_id: str) -> dict[str, Any] | None:
        """A replica of roster's (a place, a person, a staff list) for composing a message,
        read by `_id` and kept for a moment: every message about a case reads the same few,
        and a change from roster may take REPLICA_CACHE_SECONDS to show."""
        key, now = (aggregates_name, record_id), time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < REPLICA_CACHE_SECONDS:
            return cached[1]
        found = self.record(aggregates_name, record_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found

    # action links: single use by unique insert

    def claim_link(self, link_id: str, claim: Mapping[str, Any]) -> dict[str, Any] | None:
        """Take the link's one use. Returns None when taken now, else the earlier use."""
        try:
            self._link_uses.insert_one({"_id": link_id, **claim})
        except DuplicateKeyError:
            return self._link_uses.find_one({"_id": link_id}) or {}
        return None

    def link_use(self, use_id: str) -> dict[str, Any] | None:
        """The earlier use of a link, if any (its page is shown only while there is none)."""
        return self._link_uses.find_one({"_id": use_id})

    def record_link_outcome(self, link_id: str, outcome: Mapping[str, Any]) -> None:
        self._link_uses.update_one({"_id": link_id}, {"$set": {"outcome": dict(outcome)}})

    def release_link(self, link_id: str) -> None:
        """The action could not be tried (cases away): the link may be used again."""
        self._link_uses.delete_one({"_id": link_id})


def is_after(stored: Mapping[str, Any] | None, version: int) -> bool:
    """Whether a replica at `version` is newer than what is stored (events may arrive
    out of order; the newest version wins)."""
    return stored is None or int(stored.get("version", -1)) < version
