"""Volunteer activities (志愿活动) in a real browser: staff publish one at a desktop's size
(a refused form shows the field's error and publishes nothing); a volunteer at a phone's
375×667 signs up and, once it runs, checks in, credited in the hours ledger exactly once
however often the form is sent. Attacks: a volunteer on the staff's page, a form without
its CSRF token, a GET where a POST acts, another volunteer's check-in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.console.browser import (
    COMMUNITY,
    SCREENSHOTS,
    STAFF,
    person_headers,
    signed_in,
    volunteer_headers,
)
from tests.e2e.console.test_duty import form_data, ledger, roster
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
VOLUNTEER = ("p-g2-blue-3", "13807310511")  # a sample volunteer no other browser test uses
NEIGHBOUR = "p-g3-blue-3"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"activities-{name}.png"), full_page=True)


def listed(stack) -> list[dict]:
    answer = roster(stack, "/v1/activities", community_id=COMMUNITY)
    assert answer.status_code == 200, answer.text
    return answer.json()["activities"]


def publish_soon(stack, title: str, seconds: int) -> dict:
    """An activity starting in `seconds`, published as staff's app would."""
    starts = datetime.now(UTC) + timedelta(seconds=seconds)
    answer = requests.post(
        f"{stack.url('roster')}/v1/activities",
        json={
            "community_id": COMMUNITY, "kind": "cleanup", "title": title,
            "places": ["jingxiang-g2"], "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(), "capacity": 5,
            "hours_rule": {"basis": "fixed", "fixed_minutes": 60},
        },
        headers={**person_headers(stack, STAFF[0], "staff"), "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_staff_publish_an_activity_and_a_refused_form_publishes_nothing(
    page, console, sms, console_stack
):
    page.set_viewport_size(DESKTOP)
    signed_in(page, console, sms, STAFF)
    page.get_by_role("link", name="志愿活动").click()
    expect(page.get_by_role("heading", name="志愿活动", exact=True)).to_be_visible()
    before = len(listed(console_stack))
    form = page.locator("#form-publish")
    form.get_by_label("活动类型").select_option("patrol")
    form.get_by_label("活动名称").fill("周六夜间巡逻")
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date().isoformat()
    form.get_by_label("开始时间").fill(f"{tomorrow}T19:00")
    form.get_by_label("结束时间").fill(f"{tomorrow}T21:30")
    form.get_by_label("名额").fill("8")
    form.get_by_label("封顶分钟数").fill("120")
    form.get_by_role("button", name="发布活动").click()  # no place ticked
    expect(page.locator("#activity-places-error")).to_be_visible()
    assert len(listed(console_stack)) == before
    form = page.locator("#form-publish")
    expect(form.get_by_label("活动名称")).to_have_value("周六夜间巡逻")  # kept as typed
    form.get_by_label("第二网格", exact=False).first.check()
    form.get_by_role("button", name="发布活动").click()
    expect(page.locator("#done")).to_have_text("活动已发布。")
    expect(page.locator("#activity-when")).to_contain_text(f"{tomorrow} 19:00")
    expect(page.locator("#activity-when")).to_contain_text("Asia/Shanghai")
    expect(page.locator("#activity-rule")).to_contain_text("2.00 h")  # 2 h 30 capped at 2 h
    screenshot(page, "staff-published")
    made = [a for a in listed(console_stack) if a["title"] == "周六夜间巡逻"]
    assert len(made) == 1 and made[0]["kind"] == "patrol"
    page.goto(f"{console}/activities")
    expect(page.locator(f"tr[data-activity='{made[0]['activity_id']}']")).to_be_visible()
    screenshot(page, "staff-list")
    # a form without its CSRF token is refused, and publishes nothing
    forged = page.request.post(f"{console}/activities", form={"title": "x"}, max_redirects=0)
    assert forged.status == 403
    assert len(listed(console_stack)) == before + 1


def test_a_volunteer_signs_up_and_checks_in_once_from_a_phone(page, console, sms, console_stack):
    activity = publish_soon(console_stack, f"清洁家园 {datetime.now(UTC):%H%M%S}", seconds=40)
    activity_id = activity["activity_id"]
    page.set_viewport_size(PHONE)
    signed_in(page, console, sms, VOLUNTEER)
    assert page.goto(f"{console}/activities").status == 403  # the staff's page
    page.goto(f"{console}/my")
    page.get_by_role("link", name="志愿活动").click()
    card = page.locator(f".my-activity[data-activity='{activity_id}']")
    expect(card).to_be_visible()
    expect(page.locator("#zone")).to_contain_text("Asia/Shanghai")
    card.get_by_role("button", name="报名").click()
    expect(page.locator("#done")).to_have_text("报名成功。")
    expect(card.locator(".signed-up")).to_be_visible()
    fits_the_phone(page)
    screenshot(page, "volunteer-signed-up")
    # a GET never acts; another volunteer's check-in cannot be done from here
    assert page.goto(f"{console}/my/activities/{activity_id}/check-in").status == 405
    page.goto(f"{console}/my/activities")

    def check_in_shown() -> bool:
        page.reload()
        return card.get_by_role("button", name="现场签到").is_visible()

    wait_until("the activity to start", check_in_shown, timeout=60)
    sent = form_data(page, f".my-activity[data-activity='{activity_id}'] form[action$='/check-in']")
    unsigned = {"form_key": sent["form_key"]}  # the form without its CSRF token
    refused = page.request.post(f"{console}/my/activities/{activity_id}/check-in",
                                form=unsigned, max_redirects=0)  # fmt: skip
    assert refused.status == 403
    assert not [e for e in ledger(console_stack, VOLUNTEER[0])["entries"]
                if e["entry_id"].startswith(f"HA-{activity_id}")]  # fmt: skip
    for _ in range(2):  # a double tap: one check-in, one credit
        answer = page.request.post(f"{console}/my/activities/{activity_id}/check-in", form=sent,
                                   max_redirects=0)  # fmt: skip
        assert answer.status == 303, answer.text()
    credits = [e for e in ledger(console_stack, VOLUNTEER[0])["entries"]
               if e["entry_id"] == f"HA-{activity_id}:{VOLUNTEER[0]}"]  # fmt: skip
    assert [(e["minutes"], e["state"]) for e in credits] == [(60, "approved")]
    page.goto(f"{console}/my/activities?done=check-in")
    expect(page.locator("#done")).to_contain_text("签到成功")
    expect(card.locator(".checked-in")).to_be_visible()
    expect(card.get_by_role("button", name="现场签到")).to_have_count(0)
    fits_the_phone(page)
    screenshot(page, "volunteer-checked-in")
    neighbour = requests.get(f"{console_stack.url('roster')}/v1/activities/{activity_id}",
                             headers=volunteer_headers(console_stack, NEIGHBOUR),
                             timeout=10).json()  # fmt: skip
    assert neighbour["signups"] == []  # a volunteer sees only their own sign-up
    theirs = ledger(console_stack, NEIGHBOUR)["entries"]
    assert not [e for e in theirs if e["entry_id"].startswith(f"HA-{activity_id}")]


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for button in page.locator("main button.big").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, box
