"""Message texts: every template in Chinese and English, the case in words and local time,
a community's own wording, nothing left undefined. Plain Python, no I/O but the templates."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2.exceptions import UndefinedError

from services.notify.compose import load_labels
from services.notify.domain.facts import alert_context, case_context, hotline_context
from services.notify.domain.messages import TEMPLATES, Messages, local_time
from services.notify.events import READS, as_told

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORDS = load_labels()
NAMES = {"jingxiang-g1": "第一网格（1–16栋）", "jx-estate-1": "井湘小区"}
CASE = {
    "case_id": "LX-5FDAC5396A635920",
    "number": "JX-20261121-0042",
    "community_id": "jingxiang",
    "grid_id": "jingxiang-g1",
    "category": "facility.lighting",
    "category_label": {"zh": "楼道灯坏", "en": "broken stair light"},
    "team": "repair_crew",
    "priority": "normal",
    "location": {"estate": "jx-estate-1", "building": "5", "unit": "2"},
    "description": "楼道灯坏了，电话13812345678 <b>急</b>",
    "display_name": "侯**",
    "accept_by": datetime(2026, 11, 21, 8, 30, tzinfo=UTC),
    "resolve_by": datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
    "due_at": datetime(2026, 11, 21, 8, 30, tzinfo=UTC),
    "until": datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    "level": "grid_leader",
    "reason": "nobody on duty",
    "which": "accept",
    "kind": "fire",
    "call": "119",
    "target": {"display_name": "刘**"},
}
LINKS = {
    "accept": "https://lx.example.cn/v1/links/a",
    "decline": "https://lx.example.cn/v1/links/d",
}
CASE_TEMPLATES = [
    path.name.removesuffix(".j2")
    for path in sorted(TEMPLATES.glob("*.j2"))
    if path.name.startswith(("case.", "progress.", "shift."))
]


def render(template: str, payload=CASE, community: str = "elsewhere", links=LINKS):
    context = case_context(payload, NAMES, SHANGHAI, WORDS, links)
    return Messages().render(template, community, context)


@pytest.mark.parametrize("template", CASE_TEMPLATES)
def test_every_case_message_has_a_subject_chinese_english_and_an_sms_text(template):
    message = render(template, {**CASE, "starts_at": CASE["accept_by"], "ends_at": CASE["until"]})
    zh, _, en = message.text.partition("\n\n")
    assert message.subject.startswith("【连心")
    assert re.search(r"[\u4e00-\u9fff]", zh), "Chinese first"
    assert re.search(r"[A-Za-z]{4} [a-z]+", en), "English beside it"
    assert 0 < len(message.short) <= 300
    for code in ("facility.lighting", "jingxiang-g1", "repair_crew", "grid_leader"):
        assert code not in message.text and code not in message.short, (template, code)
    assert "13812345678" not in message.text + message.short + message.html


def test_a_dispatch_says_what_where_and_by_when_in_local_time_with_its_zone():
    message = render("case.dispatched")
    assert "案件编号：JX-20261121-0042" in message.text
    assert "类别：楼道灯坏（普通）" in message.text
    assert "地点：井湘小区 5栋 2单元（第一网格（1–16栋））" in message.text
    assert "138****5678" in message.text
    assert "请在 11月21日 16:30（北京时间 UTC+08:00） 前接单" in message.text
    assert "Please accept by 21 Nov 16:30 (Asia/Shanghai, UTC+08:00)" in message.text
    assert message.short.endswith(LINKS["accept"])
    assert message.links == LINKS
    assert message.facts["deadline"] == "2026-11-21T08:30:00+00:00"
    assert message.facts["timezone"] == "Asia/Shanghai"


def test_building_and_unit_names_that_say_what_they_are_get_no_second_suffix():
    named = {"estate": "井湘小区一区", "building": "3栋", "unit": "3栋2单元"}
    message = render(
        "case.dispatched", {**CASE, "place": "井湘小区一区3栋2单元", "location": named}
    )
    assert "井湘小区一区3栋2单元" in message.text
    assert "栋栋" not in message.text and "单元单元" not in message.text
    numbers = {"building": "7", "unit": "1"}
    bare = render("case.dispatched", {**CASE, "place": "", "location": numbers})
    assert "7栋 1单元" in bare.text


def test_a_place_that_is_the_grid_names_it_once():
    message = render("case.dispatched", {**CASE, "place": "第一网格（1–16栋）", "location": {}})
    assert "地点：第一网格（1–16栋）\n" in message.text


def test_an_escalation_gives_its_reason_in_chinese_and_english():
    message = render("case.escalated")
    assert "案件升级至网格长（刘**）" in message.text
    assert "升级原因：当前无人值班" in message.text and "Reason: nobody on duty" in message.text


def test_a_reason_it_does_not_know_is_shown_as_given_with_phones_masked():
    assert WORDS.reason("the road is closed, call 13812345678") == {
        "zh": "the road is closed, call 138****5678",
        "en": "the road is closed, call 138****5678",
    }


def test_a_category_without_a_label_falls_back_to_its_code_rather_than_nothing():
    payload = {key: value for key, value in CASE.items() if key != "category_label"}
    assert "类别：facility.lighting" in render("case.dispatched", payload).text


def test_a_community_override_changes_its_wording_and_keeps_the_rest():
    own = render("case.dispatched", community="jingxiang")
    assert own.subject.startswith("【井湘连心】") and "如需协助" in own.text
    assert "案件编号：JX-20261121-0042" in own.text


def test_an_operator_template_directory_overrides_the_shipped_one(tmp_path: Path):
    (tmp_path / "communities" / "yujingwan").mkdir(parents=True)
    (tmp_path / "communities" / "yujingwan" / "progress.resolved.j2").write_text(
        '{% extends "progress.resolved.j2" %}{% block subject %}【御景湾】已处置 {{ number }}'
        "{% endblock %}",
        encoding="utf-8",
    )
    messages = Messages(override=tmp_path)
    messages.check()
    context = case_context(CASE, NAMES, SHANGHAI, WORDS)
    assert messages.render("progress.resolved", "yujingwan", context).subject == (
        "【御景湾】已处置 JX-20261121-0042"
    )
    assert messages.render("progress.resolved", "other", context).subject.startswith("【连心】")


def test_the_html_part_escapes_what_residents_wrote():
    html = render("case.dispatched").html
    assert "&lt;b&gt;急&lt;/b&gt;" in html and "<b>急</b>" not in html
    assert f'href="{LINKS["accept"]}"' in html and "接单 · Accept" in html


def test_a_missing_field_raises_instead_of_rendering_blank():
    context = case_context(CASE, NAMES, SHANGHAI, WORDS, LINKS)
    del context["number"]
    with pytest.raises(UndefinedError):
        Messages().render("case.dispatched", "x", context)


@pytest.mark.parametrize(
    "kind",
    ["progress.dispatched", "progress.resolved", "progress.closed", "progress.rejected",
     "progress.merged"],
)  # fmt: skip
def test_every_progress_message_carries_the_residents_progress_link(kind):
    url = "https://console.example.cn/r/eyJ0b2tlbiJ9.sig"
    message = render(kind, links={"progress": url})
    assert message.short.endswith(url), "the SMS names the page"
    assert message.links == {"progress": url} and url in message.html


def test_the_closing_message_asks_for_the_rating_on_the_progress_page():
    message = render("progress.closed", links={"progress": "https://console.example.cn/r/x"})
    assert "民声有回应" in message.text
    assert "请评价：https://console.example.cn/r/x" in message.short


def test_an_alert_and_a_hotline_reply_read_as_people_would():
    alert = {
        "status": "firing",
        "labels": {"alertname": "LianxinDeadLetters", "severity": "critical", "community": "jx"},
        "annotations": {"summary": "死信队列有积压"},
        "startsAt": "2026-11-21T00:05:00Z",
    }
    message = Messages().render("alert", "jx", alert_context(alert, SHANGHAI, WORDS))
    assert message.subject == "【连心·告警】严重 LianxinDeadLetters · Alert"
    assert "开始时间：11月21日 08:05（北京时间 UTC+08:00）" in message.text
    reply = {"order_no": "GD-1", "kind": "returned", "reason": "不属本辖区", "until": None}
    text = Messages().render("hotline.reply", "jx", hotline_context(reply, SHANGHAI, WORDS)).text
    assert "工单 GD-1：退单" in text and "原因：不属本辖区" in text


@pytest.mark.parametrize(
    ("zone", "zh", "en"),
    [
        (
            "Asia/Shanghai",
            "11月21日 16:30（北京时间 UTC+08:00）",
            "21 Nov 16:30 (Asia/Shanghai, UTC+08:00)",
        ),
        (
            "Asia/Urumqi",
            "11月21日 14:30（Asia/Urumqi UTC+06:00）",
            "21 Nov 14:30 (Asia/Urumqi, UTC+06:00)",
        ),
    ],
)
def test_a_time_is_shown_in_the_community_zone_and_names_it(zone, zh, en):
    shown = local_time(datetime(2026, 11, 21, 8, 30, tzinfo=UTC), ZoneInfo(zone))
    assert (shown["zh"], shown["en"]) == (zh, en)


def test_every_shipped_template_compiles():
    Messages().check()


@pytest.mark.parametrize("template", CASE_TEMPLATES)
def test_every_case_message_renders_from_the_least_an_event_may_carry(template):
    """What notify's reading accepts, the templates render: an event with only what
    notify needs of it is a message, not a handler failure retried until it is parked."""
    reading = READS.readings[("case.reported", 1)]
    least = as_told(reading.load({"case_id": "LX-1", "community_id": "jx"}))
    message = render(template, {**least, "starts_at": None}, links={})
    assert message.subject and message.short


def test_a_place_is_completed_with_what_the_location_adds_and_not_repeated():
    given = {**CASE, "place": "第一网格（1–16栋）", "location": {"building": "5"}}
    assert "地点：第一网格（1–16栋） 5栋\n" in render("case.dispatched", given).text
    same = {**CASE, "place": "井湘小区5栋2单元", "location": {"building": "5", "unit": "2"}}
    assert "地点：井湘小区5栋2单元（第一网格（1–16栋））\n" in render("case.dispatched", same).text


@pytest.mark.parametrize("template", ["case.triage_needed", "case.emergency"])
def test_a_case_not_triaged_yet_is_read_and_told_without_a_category(template):
    """cases sends category, team and priority as null before triage; notify reads them
    as not known yet instead of refusing the event."""
    read = READS.readings[(template, 1)].load(
        {
            **CASE,
            "category": None,
            "team": None,
            "priority": None,
            "category_label": None,
            "accept_by": None,
            "resolve_by": None,
            "due_at": None,
            "until": None,
        }
    )
    untriaged = as_told(read)
    assert (untriaged["category"], untriaged["team"], untriaged["priority"]) == ("", "", "normal")
    message = render(template, untriaged)
    assert message.subject and CASE["number"] in message.text


def test_a_digest_names_every_case_it_holds_even_in_its_sms_text():
    items = [
        {"number": f"JX-20261121-00{n:02d}", "subject": f"【连心】延期已批准 JX-20261121-00{n:02d}"}
        for n in range(20)
    ]
    message = Messages().render(
        "digest", "jx", {"display_name": "侯**", "items": items, "links": {}, "facts": {}}
    )
    for item in items:
        assert item["number"] in message.short and item["subject"] in message.text
    assert message.short.startswith("【连心】20条消息汇总") and "另有" not in message.short
