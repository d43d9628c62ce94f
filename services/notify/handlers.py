"""Use cases of the notify service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from lianxin.envelope import Envelope
from services.notify.channels import Outbound
from services.notify.domain import Delivery, DeliveryFailed
from services.notify.schemas import EVENTS
from services.notify.store import NotifyStore

DELIVERY_ID_NAMESPACE = uuid.UUID("a3d2e1f0-5b6c-4d7e-8f90-1a2b3c4d5e6f")


class DeliveryNotFound(Exception):
    pass


def delivery_id_for(event_id: str) -> str:
    """One delivery per event: a redelivered event finds its delivery and does not resend."""
    return "DL-" + uuid.uuid5(DELIVERY_ID_NAMESPACE, event_id).hex[:16].upper()


def deliver(store: NotifyStore, outbound: Outbound, event: Envelope, now: datetime) -> Delivery:
    """Send the message an event calls for, once. A failed send is recorded with its attempt
    count and re-raised, so the consumer retries with back-off and finally dead-letters it."""
    delivery_id = delivery_id_for(event.event_id)
    failure: DeliveryFailed | None = None
    with store.change(delivery_id) as change:
        delivery = change.delivery or Delivery(
            id=delivery_id,
            kind=event.type,
            case_id=event.payload["case_id"],
            channel=outbound.channel.name,
            address=outbound.address_for(event.payload),
        )
        if delivery.state == "delivered":
            return delivery
        body = _body(delivery, outbound, event)
        try:
            outbound.channel.send(delivery.id, delivery.address, body)
            delivery = delivery.succeeded(now)
        except DeliveryFailed as exc:
            delivery, failure = delivery.failed(str(exc)), exc
        change.save(delivery, [_outcome(delivery, event)], body)
    if failure is not None:
        raise failure
    return delivery


def get(store: NotifyStore, delivery_id: str) -> Delivery:
    delivery = store.get(delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"No delivery {delivery_id}.")
    return delivery


def _body(delivery: Delivery, outbound: Outbound, event: Envelope) -> dict[str, Any]:
    payload = event.payload
    return {
        "delivery_id": delivery.id,
        "kind": event.type,
        "case_id": delivery.case_id,
        "text": outbound.messages.render(event.type, payload),
        "case": {
            key: payload.get(key)
            for key in ("community_id", "grid_id", "category", "team", "priority")
        },
        "recipient": {
            "person_id": payload.get("person_id"),
            "display_name": payload.get("display_name"),
        },
        "occurred_at": event.occurred_at.isoformat(),
    }


def _outcome(delivery: Delivery, cause: Envelope) -> Envelope:
    kind = "notification.delivered" if delivery.state == "delivered" else "notification.failed"
    return EVENTS.new_event(
        kind,
        {
            "delivery_id": delivery.id,
            "case_id": delivery.case_id,
            "community_id": cause.payload["community_id"],
            "category": cause.payload["category"],
            "kind": delivery.kind,
            "channel": delivery.channel,
            "attempts": delivery.attempts,
            "error": delivery.last_error,
        },
        correlation_id=cause.correlation_id,
        case_id=delivery.case_id,
    )
