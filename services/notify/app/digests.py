"""A person's rate limit and the digests that bundle a burst (domain/people.py RateLimit).

The person's replica (`people/<person id>`) keeps their recent sends and their open
bundle: a message that may wait (Delivery.may_wait_for_a_digest) takes one of the
person's send slots, or joins the bundle, whose Deadline (DIGEST) makes one digest
delivery of what it holds (pipeline.flush_digest). Every step is idempotent: a repeat
finds its place.
"""

from __future__ import annotations

import uuid
from collections.abc import Set
from datetime import datetime
from typing import Any

from lianxin.bus.deadlines import Deadline
from services.notify import instruments
from services.notify.domain.delivery import Delivery
from services.notify.domain.messages import Messages
from services.notify.domain.people import RateLimit
from services.notify.store import NotifyStore

DIGEST = "notify.digest"
BUNDLE_LIMIT = 20  # deliveries in one digest, each named; past it one goes on its own


def reserve(
    store: NotifyStore, rate_limit: RateLimit, delivery: Delivery, now: datetime
) -> str | None:
    """Take one of the person's send slots, or put the delivery in their bundle. Returns
    the digest it joined, or None to send now. Idempotent: a repeat finds its place."""
    key = delivery.recipient.key
    with store.people.change(key) as change:
        if change.value is None:
            return None
        document = change.value
        recent = list(document.get("recent") or [])
        bundle = document.get("bundle")
        if any(entry["id"] == delivery.id for entry in recent):
            return None
        if bundle and delivery.id in bundle["items"]:
            return bundle["digest_id"]
        free_at = rate_limit.next_free([entry["at"] for entry in recent], now)
        if free_at is None:
            document["recent"] = _keep(rate_limit, [*recent, {"at": now, "id": delivery.id}], now)
            change.save(document)
            return None
        events: list[Deadline] = []
        if not bundle:
            bundle, events = _new_bundle(key, free_at)
        if len(bundle["items"]) >= BUNDLE_LIMIT:
            return None  # a digest names every case it holds: past that, sent on its own
        bundle["items"] = [*bundle["items"], delivery.id]
        document["bundle"] = bundle
        change.save(document, events)
        return bundle["digest_id"]


def mark_bundled(store: NotifyStore, delivery_id: str, deadline: Deadline, digest_id: str) -> None:
    with store.deliveries.change(delivery_id) as change:
        delivery = change.value
        if delivery is not None and delivery.expects(deadline.id):
            change.save(delivery.bundled(digest_id))
    instruments.DELIVERIES.labels(delivery.contact.channel if delivery else "", "bundled").inc()


def due(
    store: NotifyStore, key: str, digest_id: str
) -> tuple[dict[str, Any], list[Delivery]] | None:
    """The person and the deliveries their bundle holds, or None when that bundle was
    flushed already."""
    person = store.people.get(key) or {}
    bundle = person.get("bundle") or {}
    if bundle.get("digest_id") != digest_id:
        return None
    items = [found for item in bundle["items"] if (found := store.deliveries.get(item))]
    return person, items


def flushed(
    store: NotifyStore,
    rate_limit: RateLimit,
    key: str,
    digest_id: str,
    included: Set[str],
    now: datetime,
) -> None:
    """The digest went out: it takes one of the person's send slots, and what joined the
    bundle while it was being made waits for the next one."""
    with store.people.change(key) as change:
        document = change.value or {}
        current = document.get("bundle") or {}
        if current.get("digest_id") != digest_id:
            return
        recent = [*document.get("recent", []), {"at": now, "id": digest_id}]
        document["recent"] = _keep(rate_limit, recent, now)
        left = [item for item in current["items"] if item not in included]
        events: list[Deadline] = []
        document["bundle"] = None
        if left:  # joined while this digest was being made: the next one takes them
            document["bundle"], events = _new_bundle(key, now + rate_limit.window)
            document["bundle"]["items"] = left
        change.save(document, events)


def digest(
    messages: Messages,
    digest_id: str,
    items: list[Delivery],
    person: dict[str, Any],
    now: datetime,
) -> Delivery:
    """One message naming every bundled case (its number) and what was said of it. No
    action link rides in one: messages with links are time-critical, never bundled."""
    first = items[0]
    listed = [
        {
            "delivery_id": item.id,
            "case_id": item.case_id,
            "number": ((item.message or {}).get("facts") or {}).get("number") or "",
            "category": item.category,
            "subject": (item.message or {}).get("subject", ""),
        }
        for item in items
    ]
    message = messages.render(
        "digest",
        first.community_id,
        {"display_name": person.get("display_name", ""), "items": listed, "links": {}, "facts": {}},
    )
    return Delivery(
        id=digest_id,
        cause_id=digest_id,
        kind="digest",
        recipient=first.recipient,
        contact=first.contact,
        message=message.to_dict(),
        created_at=now,
        community_id=first.community_id,
        fallbacks=first.fallbacks,
        bundle=tuple(listed),
    )


def _new_bundle(key: str, due_at: datetime) -> tuple[dict[str, Any], list[Deadline]]:
    digest_id = "DG-" + uuid.uuid4().hex[:20].upper()
    deadline = Deadline(DIGEST, key, due_at, {"digest_id": digest_id})
    return {"digest_id": digest_id, "items": [], "due_at": due_at}, [deadline]


def _keep(rate_limit: RateLimit, recent: list[dict[str, Any]], now: datetime) -> list[dict]:
    window, count = rate_limit.window, rate_limit.count
    return sorted((e for e in recent if now - e["at"] < window), key=lambda e: e["at"])[-count:]
