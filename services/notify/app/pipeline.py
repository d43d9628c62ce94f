"""The delivery pipeline: create a delivery with its first attempt due, attempt it, retry
with back-off, go dead, fall back to the next channel; a burst to one person is bundled
into a digest (digests.py).

Every step is driven by a Deadline saved in the delivery's (or person's) outbox
with the change that calls for it (lianxin.bus.deadlines): nothing waits in memory,
nothing scans the database, and a restart loses no retry. A deadline that
arrives twice, or late after the delivery moved on, finds the delivery no longer
expecting it and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from services.notify import instruments
from services.notify.app import digests, tallies
from services.notify.compose import Outbound
from services.notify.domain.delivery import Delivery, DeliveryFailed, PermanentFailure
from services.notify.domain.messages import Message
from services.notify.domain.people import hold
from services.notify.domain.routes import zone_of
from services.notify.events import EMITS
from services.notify.store import NotifyStore

log = logging.getLogger(__name__)

ATTEMPT = "notify.attempt"
FALLBACK = "notify.fallback"
Clock = Callable[[], datetime]


def create(
    store: NotifyStore, outbound: Outbound, delivery: Delivery, due: datetime, clock: Clock
) -> Delivery | None:
    """Store a new delivery. Due now, it is attempted at once in the same change (one
    lease, one write: the fast path); otherwise, or when a person's rate limit must be
    consulted first, its first attempt is a Deadline. Returns the delivery as stored;
    None when it existed: its cause was redelivered, and nothing more is sent. A group's
    copy of a message never holds an action link (Message.for_group)."""
    if delivery.contact.address.startswith("group:"):
        case_page = f"{outbound.console_url}/cases/{delivery.case_id}" if delivery.case_id else None
        message = Message.from_dict(delivery.message).for_group(case_page)
        delivery = replace(delivery, message=message.to_dict())
    with store.deliveries.change(delivery.id) as change:
        if change.value is not None:
            return None
        if due > clock() or delivery.may_wait_for_a_digest:
            scheduled, deadline = _schedule(delivery, due)
            change.save(scheduled, [deadline])
            return scheduled
        attempted, events = _follow_ups(_send(outbound, delivery, clock), clock())
        change.save(attempted, events)
    _report(attempted)
    return attempted


def attempt(store: NotifyStore, outbound: Outbound, deadline: Deadline, clock: Clock) -> None:
    """One attempt of a delivery, under its lease; the send is bounded by a budget well
    inside the lease, so it cannot be made twice."""
    current = store.deliveries.get(deadline.aggregate_id)
    if current is None or not current.expects(deadline.id):
        return
    if current.may_wait_for_a_digest:
        digest_id = digests.reserve(store, outbound.rate_limit, current, clock())
        if digest_id is not None:
            digests.mark_bundled(store, current.id, deadline, digest_id)
            return
    with store.deliveries.change(current.id) as change:
        delivery = change.value
        if delivery is None or not delivery.expects(deadline.id):
            return
        delivery, events = _follow_ups(_send(outbound, delivery, clock), clock())
        change.save(delivery, events)
    _report(delivery)
    tallies.outcome(store, delivery)


def fall_back(store: NotifyStore, outbound: Outbound, deadline: Deadline, clock: Clock) -> None:
    """A delivery died: the same message to the same recipient over the next channel."""
    dead = store.deliveries.get(deadline.aggregate_id)
    if dead is None or dead.state != "dead":
        return
    now = clock()
    following = dead.on_next_channel(now)
    if following is None:
        return
    person = store.person(following.recipient.key) if following.recipient.kind == "person" else None
    zone = zone_for(store, outbound, following.community_id)
    create(store, outbound, following, hold(following, person, zone, now), clock)


def flush_digest(store: NotifyStore, outbound: Outbound, deadline: Deadline, clock: Clock) -> None:
    """A person's bundle is due: one digest delivery for what it holds."""
    key, digest_id = deadline.aggregate_id, str(deadline.payload.get("digest_id"))
    due = digests.due(store, key, digest_id)
    if due is None:
        return  # flushed already
    person, items = due
    now = clock()
    if items:
        digest = digests.digest(outbound.messages, digest_id, items, person, now)
        create(store, outbound, digest, now, clock)
    digests.flushed(store, outbound.rate_limit, key, digest_id, {item.id for item in items}, now)


def revive(store: NotifyStore, delivery_id_: str, now: datetime) -> Delivery | None:
    """An operator sends a dead delivery again, after fixing its cause."""
    with store.deliveries.change(delivery_id_) as change:
        delivery = change.value
        if delivery is None or delivery.state != "dead":
            return delivery
        scheduled, deadline = _schedule(delivery.revived(now), now)
        change.save(scheduled, [deadline])
        return scheduled


# one attempt


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


def zone_for(store: NotifyStore, outbound: Outbound, community_id: str) -> ZoneInfo:
    """The community's time zone: roster's (area.changed), else the routes file's."""
    node = store.place(community_id) or {}
    return zone_of(node.get("timezone") or outbound.routes.community(community_id).timezone)


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
