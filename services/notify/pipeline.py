"""The delivery pipeline: create a delivery with its first attempt due, attempt it, retry
with back-off, go dead, fall back to the next channel, and bundle bursts.

Every step is driven by a Deadline saved in the delivery's (or person's) outbox
with the change that calls for it (lianxin.bus.deadlines): nothing waits in memory,
nothing scans the database, and a restart loses no retry. A deadline that
arrives twice, or late after the delivery moved on, finds the delivery no longer
expecting it and does nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from services.notify import instruments
from services.notify.domain import (
    Contact,
    Delivery,
    DeliveryFailed,
    PermanentFailure,
    delivery_id,
)
from services.notify.events import EMITS
from services.notify.messages import Message
from services.notify.outbound import Outbound
from services.notify.routes import zone_of
from services.notify.routing import Person, QuietHours
from services.notify.store import NotifyStore

log = logging.getLogger(__name__)

ATTEMPT = "notify.attempt"
FALLBACK = "notify.fallback"
DIGEST = "notify.digest"
BUNDLE_LIMIT = 20  # deliveries in one digest, each named; past it one goes on its own
Clock = Callable[[], datetime]


def create(
    store: NotifyStore, outbound: Outbound, delivery: Delivery, due: datetime, clock: Clock
) -> bool:
    """Store a new delivery. Due now, it is attempted at once in the same change (one
    lease, one write: the fast path); otherwise, or when a person's rate limit must be
    consulted first, its first attempt is a Deadline. False when the delivery exists:
    its cause was redelivered, and nothing more is sent. A group's copy of a message never
    holds an action link (Message.for_group)."""
    if delivery.contact.address.startswith("group:"):
        message = Message.from_dict(delivery.message).for_group(delivery.case_id is not None)
        delivery = replace(delivery, message=message.to_dict())
    with store.delivery_change(delivery.id) as change:
        if change.delivery is not None:
            return False
        if due > clock() or _rate_limited(delivery):
            scheduled, deadline = _schedule(delivery, due)
            change.save(scheduled, [deadline])
            return True
        attempted, events = _follow_ups(_send(outbound, delivery, clock), clock())
        change.save(attempted, events)
    _report(attempted)
    return True


def attempt(store: NotifyStore, outbound: Outbound, deadline: Deadline, clock: Clock) -> None:
    """One attempt of a delivery, under its lease; the send is bounded by a budget well
    inside the lease, so it cannot be made twice."""
    current = store.delivery(deadline.aggregate_id)
    if current is None or not _expects(current, deadline):
        return
    if _rate_limited(current):
        digest_id = _reserve(store, outbound, current, clock())
        if digest_id is not None:
            _mark_bundled(store, current.id, deadline, digest_id)
            return
    with store.delivery_change(current.id) as change:
        delivery = change.delivery
        if delivery is None or not _expects(delivery, deadline):
            return
        delivery, events = _follow_ups(_send(outbound, delivery, clock), clock())
        change.save(delivery, events)
    _report(delivery)


def fall_back(store: NotifyStore, outbound: Outbound, deadline: Deadline, clock: Clock) -> None:
    """A delivery died: the same message to the same recipient over the next channel."""
    dead = store.delivery(deadline.aggregate_id)
    if dead is None or dead.state != "dead" or dead.next_in_chain() is None:
        return
    contact, rest = dead.next_in_chain()
    now = clock()
    following = Delivery(
        id=delivery_id(dead.cause_id, dead.recipient, contact),
        cause_id=dead.cause_id,
        kind=dead.kind,
        recipient=dead.recipient,
        contact=contact,
        message=dead.message,
        created_at=now,
        community_id=dead.community_id,
        case_id=dead.case_id,
        category=dead.category,
        urgent=dead.urgent,
        fallbacks=rest,
        bundle=dead.bundle,
    )
    person = person_of(store, following)
    zone = zone_for(store, outbound, following.community_id)
    create(store, outbound, following, hold(following, person, zone, now), clock)


def flush_digest(store: NotifyStore, outbound: Outbound, deadline: Deadline, clock: Clock) -> None:
    """A person's bundle is due: one digest delivery for what it holds."""
    key, digest_id = deadline.aggregate_id, str(deadline.payload.get("digest_id"))
    stored = store.record("people", key) or {}
    bundle = stored.get("bundle") or {}
    if bundle.get("digest_id") != digest_id:
        return  # flushed already
    now = clock()
    items = [found for item in bundle["items"] if (found := store.delivery(item)) is not None]
    if items:
        digest = _digest(outbound, digest_id, items, stored, now)
        create(store, outbound, digest, now, clock)
    included = {item.id for item in items}
    with store.record_change("people", key) as change:
        document = change.document
        current = document.get("bundle") or {}
        if current.get("digest_id") != digest_id:
            return
        recent = [*document.get("recent", []), {"at": now, "id": digest_id}]
        document["recent"] = _keep(outbound, recent, now)
        left = [item for item in current["items"] if item not in included]
        events: list[Deadline] = []
        document["bundle"] = None
        if left:  # joined while this digest was being made: the next one takes them
            document["bundle"], events = _new_bundle(key, now + outbound.rate_limit.window)
            document["bundle"]["items"] = left
        change.save(document, events)


def revive(store: NotifyStore, delivery_id_: str, now: datetime) -> Delivery | None:
    """An operator sends a dead delivery again, after fixing its cause."""
    with store.delivery_change(delivery_id_) as change:
        delivery = change.delivery
        if delivery is None or delivery.state != "dead":
            return delivery
        scheduled, deadline = _schedule(delivery.revived(now), now)
        change.save(scheduled, [deadline])
        return scheduled


def hold(delivery: Delivery, person: Person | None, zone: ZoneInfo, now: datetime) -> datetime:
    """When the first attempt is due: at once, or when the person's quiet hours end for a
    message that is not urgent and goes to the person's own channel."""
    if delivery.urgent or person is None or person.quiet_hours is None:
        return now
    if delivery.recipient.kind != "person" or delivery.contact.address.startswith("group:"):
        return now
    return person.quiet_hours.hold_until(now, zone) or now


def zone_for(store: NotifyStore, outbound: Outbound, community_id: str) -> ZoneInfo:
    """The community's time zone: roster's (area.changed), else the routes file's."""
    node = store.replica("places", community_id) or {}
    return zone_of(node.get("timezone") or outbound.routes.community(community_id).timezone)


def person_of(store: NotifyStore, delivery: Delivery) -> Person | None:
    if delivery.recipient.kind != "person":
        return None
    document = store.replica("people", delivery.recipient.key)
    return person_from(document) if document else None


def person_from(document: dict[str, Any]) -> Person:
    return Person(
        person_id=document["person_id"],
        community_id=document["community_id"],
        display_name=document.get("display_name", ""),
        roles=tuple(document.get("roles", ())),
        home_grids=tuple(document.get("home_grids", ())),
        contacts=tuple(Contact(**contact) for contact in document.get("contacts", ())),
        quiet_hours=QuietHours.parse(document.get("quiet_hours")),
        active=bool(document.get("active", True)),
        version=int(document.get("version", 0)),
    )


# one attempt


def _expects(delivery: Delivery, deadline: Deadline) -> bool:
    return delivery.open and delivery.expected_deadline in (None, deadline.id)


def _send(outbound: Outbound, delivery: Delivery, clock: Clock) -> Delivery:
    message = Message.from_dict(delivery.message)
    try:
        response = outbound.channels.send(delivery, message)
    except DeliveryFailed as exc:
        permanent = isinstance(exc, PermanentFailure)
        return delivery.failed(clock(), outbound.redact(str(exc)), outbound.back_off, permanent)
    except Exception as exc:  # a library's refusal or a bug: no retry mends it; the next may
        error = f"the {delivery.contact.channel} channel failed ({type(exc).__name__})"
        log.error("delivery %s: %s; the next channel follows", delivery.id, error)
        log.debug("delivery %s: the failure", delivery.id, exc_info=exc)  # may hold its text
        return delivery.failed(clock(), error, outbound.back_off, permanent=True)
    return delivery.succeeded(clock(), outbound.redact(response))


def _follow_ups(delivery: Delivery, now: datetime) -> tuple[Delivery, list[Envelope | Deadline]]:
    """The outcome events, and the next step: a retry when due, or the next channel."""
    events: list[Envelope | Deadline] = list(outcome_events(delivery))
    if delivery.state == "failed" and delivery.next_attempt_at is not None:
        delivery, deadline = _schedule(delivery, delivery.next_attempt_at)
        events.append(deadline)
    if delivery.state == "dead" and delivery.fallbacks:
        events.append(Deadline(FALLBACK, delivery.id, now))
    return delivery, events


def _schedule(delivery: Delivery, due: datetime) -> tuple[Delivery, Deadline]:
    deadline = Deadline(ATTEMPT, delivery.id, due)
    return delivery.due(due, deadline.id), deadline


def outcome_events(delivery: Delivery) -> list[Envelope]:
    """notification.* events for metrics: one per case the delivery was about."""
    kind = {"sent": "notification.delivered", "failed": "notification.failed"}.get(
        delivery.state, "notification.failed"
    )
    items = delivery.bundle or (
        [{"delivery_id": delivery.id, "case_id": delivery.case_id, "category": delivery.category}]
    )
    types = [kind] + (["notification.dead"] if delivery.state == "dead" else [])
    return [
        EMITS.new_event(
            event_type,
            {
                "delivery_id": item["delivery_id"],
                "case_id": item["case_id"],
                "community_id": delivery.community_id,
                "category": item.get("category") or "",
                "kind": delivery.kind,
                "channel": delivery.contact.channel,
                "attempts": delivery.attempts,
                "error": delivery.last_error if delivery.state != "sent" else "",
            },
            correlation_id=delivery.cause_id[:100],
            case_id=item["case_id"],
        )
        for item in items
        if item.get("case_id")
        for event_type in types
    ]


def _report(delivery: Delivery) -> None:
    instruments.DELIVERIES.labels(delivery.contact.channel, delivery.state).inc()
    where = f"{delivery.id} ({delivery.kind}, case {delivery.case_id or '-'}) over "
    where += f"{delivery.contact.channel} to {delivery.recipient.kind} {delivery.recipient.key}"
    if delivery.state == "failed":
        log.warning(
            "delivery %s failed, attempt %d: %s", where, delivery.attempts, delivery.last_error
        )
    elif delivery.state == "dead":
        following = delivery.fallbacks[0].channel if delivery.fallbacks else "nothing"
        log.error(
            "delivery %s is dead after %d attempts (%s); next: %s",
            where,
            delivery.attempts,
            delivery.last_error,
            following,
        )


# rate limit and bundles


def _rate_limited(delivery: Delivery) -> bool:
    return delivery.may_wait_for_a_digest


def _reserve(
    store: NotifyStore, outbound: Outbound, delivery: Delivery, now: datetime
) -> str | None:
    """Take one of the person's send slots, or put the delivery in their bundle. Returns
    the digest it joined, or None to send now. Idempotent: a repeat finds its place."""
    key = delivery.recipient.key
    with store.record_change("people", key) as change:
        if not change.exists:
            return None
        document = change.document
        recent = list(document.get("recent") or [])
        bundle = document.get("bundle")
        if any(entry["id"] == delivery.id for entry in recent):
            return None
        if bundle and delivery.id in bundle["items"]:
            return bundle["digest_id"]
        free_at = outbound.rate_limit.next_free([entry["at"] for entry in recent], now)
        if free_at is None:
            document["recent"] = _keep(outbound, [*recent, {"at": now, "id": delivery.id}], now)
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


def _new_bundle(key: str, due: datetime) -> tuple[dict[str, Any], list[Deadline]]:
    digest_id = "DG-" + uuid.uuid4().hex[:20].upper()
    deadline = Deadline(DIGEST, key, due, {"digest_id": digest_id})
    return {"digest_id": digest_id, "items": [], "due_at": due}, [deadline]


def _keep(outbound: Outbound, recent: list[dict[str, Any]], now: datetime) -> list[dict]:
    window, count = outbound.rate_limit.window, outbound.rate_limit.count
    return sorted((e for e in recent if now - e["at"] < window), key=lambda e: e["at"])[-count:]


def _mark_bundled(store: NotifyStore, delivery_id_: str, deadline: Deadline, digest_id: str):
    with store.delivery_change(delivery_id_) as change:
        delivery = change.delivery
        if delivery is not None and _expects(delivery, deadline):
            change.save(delivery.bundled(digest_id))
    instruments.DELIVERIES.labels(delivery.contact.channel if delivery else "", "bundled").inc()


def _digest(
    outbound: Outbound,
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
    message = outbound.messages.render(
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
