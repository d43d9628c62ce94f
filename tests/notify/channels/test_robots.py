"""Robot markdown (channels/robots.py): what residents wrote is text there, never a link
or a button."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from services.notify.channels.base import Target
from services.notify.channels.dingtalk import DingTalkChannel
from services.notify.channels.robots import markdown
from services.notify.channels.wecom import WeComChannel
from services.notify.domain.messages import Message
from tests.notify.channels.sample import DELIVERY, LOOPBACK, MESSAGE

FAKE_BUTTON = (
    '灯坏了 [接单 Accept](http://evil.example/x) <font color="warning">急</font> '
    "`code` **粗** ![img](http://evil.example/i.png)\n# 标题\n> 引用 http://evil.example/y"
)


def robot_message(**changes) -> Message:
    from services.notify.compose import load_labels
    from services.notify.domain.facts import case_context
    from services.notify.domain.messages import Messages

    payload = {
        "case_id": "LX-1",
        "number": "JX-20261121-0042",
        "community_id": "jx",
        "description": FAKE_BUTTON,
        "place": "5栋 [点此](http://evil.example/p)",
        **changes,
    }
    context = case_context(payload, {}, ZoneInfo("Asia/Shanghai"), load_labels(), MESSAGE.links)
    return Messages().render("case.dispatched", "elsewhere", context)


def markdown_links(content: str) -> list[tuple[str, str]]:
    return re.findall(r"\[([^\]]*)\]\(([^)]*)\)", content)


def test_resident_text_adds_no_link_button_or_markup_to_a_wecom_message(peer):
    WeComChannel(LOOPBACK).send(DELIVERY, robot_message(), Target(peer.url("/wecom")), 2)
    content = peer.received("/wecom")[0].json["markdown"]["content"]
    assert markdown_links(content) == [
        ("接单 Accept", "https://lx/a"),
        ("拒单 Decline", "https://lx/d"),
    ], "only the real action links"
    for markup in ("<font", "`", "\n#", "\n>", "http://evil", "**粗**"):
        assert markup not in content, markup
    assert "接单 Accept" in content and "evil.example/x" in content, "shown as text"
    assert content.startswith("**【连心】新案件待接单 JX-20261121-0042"), "our own markup stays"


def test_resident_text_adds_no_link_to_a_dingtalk_card(peer):
    DingTalkChannel(LOOPBACK).send(DELIVERY, robot_message(), Target(peer.url("/dt")), 2)
    card = peer.received("/dt")[0].json["actionCard"]
    assert markdown_links(card["text"]) == [] and "<font" not in card["text"]
    assert [button["actionURL"] for button in card["btns"]] == ["https://lx/a", "https://lx/d"]


def test_a_long_text_is_cut_before_the_action_links_never_through_them():
    long = Message(MESSAGE.subject, "很长的描述" * 2000, "", "", MESSAGE.links)
    content = markdown(long)
    assert len(content.encode()) <= 4096
    assert content.endswith("[接单 Accept](https://lx/a) [拒单 Decline](https://lx/d)")
