"""The 12345 hotline's reply callback: the result and rating of a work order, a return
(退单) or an extension request, signed with the hotline's own secret."""

from __future__ import annotations

import json
import time

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.transport import post_json
from services.notify.domain.delivery import Delivery
from services.notify.domain.messages import Message
from services.notify.domain.signatures import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from services.notify.settings import NotifySettings


class HotlineChannel:
    name = "hotline"

    def __init__(self, egress: EgressRule):
        self._egress = egress

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        reply = dict(message.facts.get("reply") or {})
        body = json.dumps(
            {**reply, "delivery_id": delivery.id, "summary": message.text},
            ensure_ascii=False,
            default=str,
        ).encode()
        headers = {
            DELIVERY_HEADER: delivery.id,
            SIGNATURE_HEADER: sign(target.secret, int(time.time()), body),
        }
        return post_json(target.address, body, budget, headers, egress=self._egress).summary


def from_settings(settings: NotifySettings) -> HotlineChannel:
    """Always there: it sends wherever egress allows."""
    return HotlineChannel(settings.egress)
