"""Group robots of WeCom (企业微信) and DingTalk (钉钉): their own message formats.

WeCom: POST …/cgi-bin/webhook/send?key=<key> with a markdown message.
DingTalk: POST …/robot/send?access_token=<token>&timestamp=<ms>&sign=<sig>, where sig
is urlencode(base64(HMAC-SHA256(secret, "<ms>\\n<secret>"))), as DingTalk documents
for robots with 加签; an actionCard carries the action links as buttons.
Both answer HTTP 200 with `errcode`: 0 is success; a rate limit is worth retrying,
a bad key or signature is not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus, urlencode, urlsplit, urlunsplit

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.transport import Reply, post_json
from services.notify.domain import Delivery, DeliveryFailed, PermanentFailure
from services.notify.messages import LINK_LABELS, Message

MARKDOWN_LIMIT = 4000  # bytes WeCom takes in one markdown message (4096), with room
WECOM_RETRYABLE = frozenset({-1, 45009, 45033})  # busy, rate limit, too many at once
DINGTALK_RETRYABLE = frozenset({-1, 130101, 410100})  # busy, sending too fast


# What markdown (WeCom's subset, DingTalk's) reads as markup, as full-width look-alikes:
# in text from outside (a resident's description, an alert's name) a `[接单](url)` is then
# words, not a button beside the real ones. Neither robot documents a backslash escape.
MARKUP = str.maketrans(
    {"[": "［", "]": "］", "<": "＜", ">": "＞", "`": "｀", "*": "＊", "_": "＿", "#": "＃",
     "|": "｜", "~": "～", "\\": "＼"}
)  # fmt: skip


def plain(text: str) -> str:
    """Text that a robot shows as it is: no markup, and no bare URL to be linked."""
    return text.translate(MARKUP).replace("://", "：//")


def markdown(message: Message, with_links: bool = True) -> str:
    """The message as robot markdown: its subject in bold, its text as plain text, and
    (for a person's own robot) the action links as the only links."""
    head = f"**{plain(message.subject)}**\n\n"
    links = ""
    if with_links and message.links:
        links = "\n\n" + " ".join(_link(action, url) for action, url in message.links.items())
    text = plain(message.text).replace("\n", "  \n")
    room = MARKDOWN_LIMIT - len((head + links).encode())
    while len(text.encode()) > room:  # the text is cut, never the links after it
        text = text[: int(len(text) * 0.9)]
    return head + text + links


def _link(action: str, url: str) -> str:
    zh, en = LINK_LABELS.get(action, (action, action))
    return f"[{zh} {en}]({url})"


def _errcode(reply: Reply, retryable: frozenset[int], who: str) -> str:
    """The robot's verdict as a number; anything else it says is not kept."""
    code = reply.json().get("errcode", 0)
    if isinstance(code, str) and code.lstrip("-").isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool):
        raise PermanentFailure(f"{who} answered {reply.summary} without a numeric errcode")
    if code == 0:
        return f"{reply.summary}, errcode 0"
    error = f"{who} errcode {code}"
    if code in retryable:
        raise DeliveryFailed(error)
    raise PermanentFailure(error)


class WeComChannel:
    name = "wecom"

    def __init__(self, egress: EgressRule):
        self._egress = egress

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        body = {"msgtype": "markdown", "markdown": {"content": markdown(message)}}
        reply = post_json(target.address, body, budget, egress=self._egress)
        return _errcode(reply, WECOM_RETRYABLE, "WeCom")


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
        return _errcode(reply, DINGTALK_RETRYABLE, "DingTalk")
