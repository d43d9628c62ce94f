"""What was sent, as the API shows it: a delivery, a case's deliveries, the dead ones,
and an operator's retry of one."""

from __future__ import annotations

from typing import Any

from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.notify.app import deliveries
from services.notify.domain.delivery import Delivery, DeliveryNotFound, NotDead
from services.notify.domain.redaction import show_address
from services.notify.http.errors import http
from services.notify.http.schemas import (
    CaseDeliveriesQuery,
    DeadQuery,
    DeliveryListSchema,
    DeliverySchema,
)


class DeliveriesHttp:
    @http(
        "GET",
        "/v1/deliveries/<string:delivery_id>",
        summary="A delivery: its status, attempts and last error (secrets redacted)",
        responses={200: DeliverySchema},
        raises=(DeliveryNotFound,),
        scope="read",
    )
    def get_delivery(self, request, actor, delivery_id):
        return 200, DeliverySchema().dump(
            view(deliveries.get_delivery(self.parts.store, actor, delivery_id))
        )

    @http(
        "GET",
        "/v1/deliveries",
        summary="What was sent about one case, oldest first",
        query=CaseDeliveriesQuery,
        responses={200: DeliveryListSchema},
        raises=(),
        scope="read",
    )
    def case_deliveries(self, request, actor, query):
        found = deliveries.of_case(self.parts.store, actor, query["case_id"])
        return 200, DeliveryListSchema().dump({"count": len(found), "deliveries": map(view, found)})

    @http(
        "GET",
        "/v1/deliveries/dead",
        summary="Dead deliveries (every attempt on every channel failed), newest first",
        query=DeadQuery,
        responses={200: DeliveryListSchema},
        raises=(),
        scope="admin",
    )
    def dead_deliveries(self, request, actor, query):
        count, found = deliveries.dead(
            self.parts.store, actor, query.get("community_id"), query["limit"]
        )
        return 200, DeliveryListSchema().dump({"count": count, "deliveries": map(view, found)})

    @http(
        "POST",
        "/v1/deliveries/<string:delivery_id>/retry",
        summary="Send a dead delivery again, once its cause is fixed",
        responses={200: DeliverySchema},
        raises=(DeliveryNotFound, NotDead, LeaseBusy),
        scope="admin",
    )
    def retry_delivery(self, request, actor, delivery_id):
        revived = deliveries.send_again(self.parts.store, actor, delivery_id, utc_now())
        return 200, DeliverySchema().dump(view(revived))


def view(delivery: Delivery) -> dict[str, Any]:
    """What the API shows of a delivery: the address masked, URL queries cut."""
    return {
        "id": delivery.id,
        "kind": delivery.kind,
        "case_id": delivery.case_id,
        "community_id": delivery.community_id,
        "category": delivery.category,
        "recipient": {
            "kind": delivery.recipient.kind,
            "id": delivery.recipient.key,
            "name": delivery.recipient.name,
        },
        "channel": delivery.contact.channel,
        "address": show_address(delivery.contact.channel, delivery.contact.address),
        "state": delivery.state,
        "urgent": delivery.urgent,
        "subject": (delivery.message or {}).get("subject", ""),
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "provider_response": delivery.provider_response,
        "history": [
            {"at": attempt.at, "ok": attempt.ok, "error": attempt.error}
            for attempt in delivery.history
        ],
        "next_channels": [contact.channel for contact in delivery.fallbacks],
        "next_attempt_at": delivery.next_attempt_at if delivery.open else None,
        "created_at": delivery.created_at,
        "sent_at": delivery.sent_at,
        "dead_at": delivery.dead_at,
        "bundled_into": delivery.bundled_into,
    }
