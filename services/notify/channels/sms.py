"""An SMS gateway over HTTP: the short text to one phone number, with the gateway's API
key as a bearer token and the delivery id as the gateway's de-duplication key."""

from __future__ import annotations

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.transport import post_json
from services.notify.domain.delivery import Delivery
from services.notify.domain.messages import Message
from services.notify.domain.signatures import DELIVERY_HEADER
from services.notify.settings import NotifySettings


class SmsChannel:
    name = "sms"

    def __init__(self, gateway_url: str, api_key: str, sign_name: str, egress: EgressRule):
        self._url = gateway_url
        self._egress = egress
        self._api_key = api_key
        self._sign = sign_name

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        body = {
            "to": target.address,
            "sign": self._sign,
            "text": message.short or message.subject,
            "reference": delivery.id,
        }
        headers = {"Authorization": f"Bearer {self._api_key}", DELIVERY_HEADER: delivery.id}
        return post_json(self._url, body, budget, headers, egress=self._egress).summary


def from_settings(settings: NotifySettings) -> SmsChannel | None:
    """Only with a gateway configured."""
    if not settings.sms:
        return None
    gateway = settings.sms
    return SmsChannel(gateway.url, gateway.api_key, gateway.sign_name, settings.egress)
