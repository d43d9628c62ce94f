"""The generic JSON webhook: any receiver, signed with HMAC-SHA256 and a timestamp
(domain.sign), named by its delivery id so the receiver can drop a repeat."""

from __future__ import annotations

import json
import time
from typing import Any

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.transport import post_json
from services.notify.domain.delivery import Delivery
from services.notify.domain.messages import Message
from services.notify.domain.signatures import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from services.notify.settings import NotifySettings


class WebhookChannel:
    name = "webhook"

    def __init__(self, egress: EgressRule):
        self._egress = egress

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        body = json.dumps(self.body(delivery, message), ensure_ascii=False, default=str).encode()
        headers = {
            DELIVERY_HEADER: delivery.id,  # receivers de-duplicate on it: at-least-once
            SIGNATURE_HEADER: sign(target.secret, int(time.time()), body),
        }
        return post_json(target.address, body, budget, headers, egress=self._egress).summary

    @staticmethod
    def body(delivery: Delivery, message: Message) -> dict[str, Any]:
        return {
            "delivery_id": delivery.id,
            "kind": delivery.kind,
            "case_id": delivery.case_id,
            "community_id": delivery.community_id,
            "urgent": delivery.urgent,
            "subject": message.subject,
            "text": message.text,
            "links": dict(message.links),
            "facts": dict(message.facts),
            "recipient": {
                "kind": delivery.recipient.kind,
                "id": delivery.recipient.key,
                "display_name": delivery.recipient.name,
            },
            "items": [dict(item) for item in delivery.bundle],
            "created_at": delivery.created_at.isoformat(),
        }


def from_settings(settings: NotifySettings) -> WebhookChannel:
    """Always there: it sends wherever egress allows."""
    return WebhookChannel(settings.egress)
