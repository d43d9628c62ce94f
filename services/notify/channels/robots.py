"""What the group robots of WeCom (企业微信) and DingTalk (钉钉) share: markdown made
safe from markup in outside text, with the action links as the only links, and the
`errcode` both answer HTTP 200 with (0 is success; a rate limit is worth retrying, a bad
key or signature is not). Each robot is its own channel: wecom.py, dingtalk.py.
"""

from __future__ import annotations

from services.notify.channels.transport import Reply
from services.notify.domain.delivery import DeliveryFailed, PermanentFailure
from services.notify.domain.messages import LINK_LABELS, Message

MARKDOWN_LIMIT = 4000  # bytes WeCom takes in one markdown message (4096), with room


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


def errcode(reply: Reply, retryable: frozenset[int], who: str) -> str:
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
