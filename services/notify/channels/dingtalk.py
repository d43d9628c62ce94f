"""DingTalk (钉钉) group robots: POST …/robot/send?access_token=<token>&timestamp=<ms>&sign=<sig>,
where sig is urlencode(base64(HMAC-SHA256(secret, "<ms>\\n<secret>"))), as DingTalk
documents for robots with 加签; an actionCard carries the action links as buttons
(channels/robots.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus, urlencode, urlsplit, urlunsplit

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.robots import errcode, markdown
from services.notify.channels.transport import post_json
from services.notify.domain.delivery import Delivery
from services.notify.domain.messages import LINK_LABELS, Message
from services.notify.settings import NotifySettings

RETRYABLE = frozenset({-1, 130101, 410100})  # busy, sending too fast


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The robot URL with `timestamp` and `sign` added (DingTalk 加签)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    signature = quote_plus(base64.b64encode(digest))
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode({"timestamp": timestamp_ms})) if part)
    return urlunsplit(parts._replace(query=f"{query}&sign={signature}"))


class DingTalkChannel:
    name = "dingtalk"

    def __init__(self, egress: EgressRule):
        self._egress = egress

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        url = target.address
        if target.secret:
            url = dingtalk_signed_url(url, target.secret, int(time.time() * 1000))
        if message.links:
            buttons = [
                {"title": " ".join(LINK_LABELS.get(action, (action, action))), "actionURL": link}
                for action, link in message.links.items()
            ]
            body = {
                "msgtype": "actionCard",
                "actionCard": {
                    "title": message.subject,
                    "text": markdown(message, with_links=False),
                    "btnOrientation": "1",
                    "btns": buttons,
                },
            }
        else:
            body = {
                "msgtype": "markdown",
                "markdown": {"title": message.subject, "text": markdown(message)},
            }
        reply = post_json(url, body, budget, egress=self._egress)
        return errcode(reply, RETRYABLE, "DingTalk")


def from_settings(settings: NotifySettings) -> DingTalkChannel:
    """Always there: it sends wherever egress allows."""
    return DingTalkChannel(settings.egress)
