"""WeCom (企业微信) group robots: POST …/cgi-bin/webhook/send?key=<key> with a markdown
message (channels/robots.py)."""

from __future__ import annotations

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.robots import errcode, markdown
from services.notify.channels.transport import post_json
from services.notify.domain.delivery import Delivery
from services.notify.domain.messages import Message
from services.notify.settings import NotifySettings

RETRYABLE = frozenset({-1, 45009, 45033})  # busy, rate limit, too many at once


class WeComChannel:
    name = "wecom"

    def __init__(self, egress: EgressRule):
        self._egress = egress

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        body = {"msgtype": "markdown", "markdown": {"content": markdown(message)}}
        reply = post_json(target.address, body, budget, egress=self._egress)
        return errcode(reply, RETRYABLE, "WeCom")


def from_settings(settings: NotifySettings) -> WeComChannel:
    """Always there: it sends wherever egress allows."""
    return WeComChannel(settings.egress)
