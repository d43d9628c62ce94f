"""Notices (通知) in a real browser: staff compose a notice to one building, see in the
preview how many each channel reaches, and send it; a resident opens the link of their SMS
at a phone's 375×667, confirms reading, and the staff's page counts it once. Attacks: a
grid worker's area outside their grids, a form without its CSRF token, bad input (the
field's error, nothing sent), another grid's notice, an altered reading link, a reading
POST without its token, a replayed one, a link scanner's GET."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_WORKER,
    GRID_WORKER_2,
    PHONE_VIEWPORT,
    SCREENSHOTS,
    STAFF,
    person_headers,
    signed_in,
    texts_to,
)
from tests.e2e.console.test_duty import form_data
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1280, "height": 900}
UNIT_LEADER_5 = "13907310035"  # p-ul-005 lives in building 5 (jingxiang-b05-u1)
UNIT_LEADER_6 = "13907310042"  # p-ul-006, in jingxiang-b05-u4
READ_LINK = re.compile(r"(https?://\S+)/r/notice/([A-Za-z0-9._-]+)")


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"console-notices-{name}.png"), full_page=True)


def notify_get(stack, path: str, **params) -> requests.Response:
    return requests.get(f"{stack.url('notify')}{path}", params=params, timeout=10,
                        headers=person_headers(stack, STAFF[0], "staff"))  # fmt: skip


def notice_ids(stack) -> set[str]:
    answer = notify_get(stack, "/v1/notices", community_id=COMMUNITY, limit=100)
    assert answer.status_code == 200, answer.text
    return {n["id"] for n in answer.json()["notices"]}


def sms_read_count(stack, notice_id: str) -> int:
    return notify_get(stack, f"/v1/notices/{notice_id}").json()["counts"]["sms"]["read"]


def compose(page: Page, console: str, audience: str, title: str, body: str) -> None:
    page.goto(f"{console}/notices/new")
    form = page.locator("#form-compose")
    form.get_by_label("发送范围").select_option(audience)
    form.get_by_label("标题").fill(title)
    form.get_by_label("正文").fill(body)


def test_staff_send_a_notice_and_a_resident_confirms_reading_it_once(
    page, console, sms, console_stack
):
    page.set_viewport_size(DESKTOP)
    signed_in(page, console, sms, STAFF)
    page.get_by_role("link", name="通知", exact=True).click()
    expect(page.get_by_role("heading", name="通知", exact=True)).to_be_visible()
    page.get_by_role("link", name="发布通知").click()
    title = f"停水通知{uuid.uuid4().hex[:4]}"
    compose(page, console, "building:jingxiang-b05", title, "明日9:00–12:00停水，\n请提前储水。")
    page.get_by_label("紧急（免打扰时段也立即发短信）").check()  # the test means the same at night
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_role("heading", name="预览")).to_be_visible()
    expect(page.locator("#reach-sms")).to_contain_text("3")
    expect(page.locator("#reach-units")).to_have_text("4")
    screenshot(page, "preview")
    page.get_by_role("button", name="返回修改").click()  # back to the form, as it was
    expect(page.get_by_label("标题")).to_have_value(title)
    expect(page.get_by_label("发送范围")).to_have_value("building:jingxiang-b05")
    page.get_by_role("button", name="预览").click()
    before = notice_ids(console_stack)
    page.get_by_role("button", name="确认发送").click()
    expect(page.locator("#done")).to_be_visible()
    [notice_id] = notice_ids(console_stack) - before
    assert page.url.endswith(f"/notices/{notice_id}?done=sent")

    text = wait_until("the unit leader's SMS", lambda: [
        t for t in texts_to(sms, UNIT_LEADER_5) if title in t
    ])[0]  # fmt: skip
    link = READ_LINK.search(text)
    assert link and link.group(1) == console, "the SMS's link is the console's reading page"

    page.context.clear_cookies()  # the resident: no session
    page.set_viewport_size(PHONE_VIEWPORT)
    page.goto(link.group(0))
    expect(page.locator("#notice-title")).to_contain_text(title)
    expect(page.locator("#notice-body")).to_contain_text("请提前储水")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    page.reload()  # a link scanner's GET, twice: nothing counted
    assert sms_read_count(console_stack, notice_id) == 0
    screenshot(page, "reading")
    confirm = form_data(page, "#form-read")
    page.get_by_role("button", name="我已阅读").click()
    expect(page.locator("#read")).to_contain_text("已确认阅读")
    screenshot(page, "read")
    assert sms_read_count(console_stack, notice_id) == 1
    replayed = page.request.post(link.group(0), form=confirm, max_redirects=0)
    assert replayed.status == 303
    assert sms_read_count(console_stack, notice_id) == 1, "a replayed POST counts once"

    page.set_viewport_size(DESKTOP)
    signed_in(page, console, sms, STAFF)
    page.goto(f"{console}/notices/{notice_id}")
    expect(page.locator('#counts tr[data-channel="sms"] [data-read]')).to_have_text("1")
    expect(page.locator("#readers li")).to_have_count(1)
    assert "*" in page.locator("#readers li").inner_text(), "the reader's name masked"
    screenshot(page, "counts")
    page.goto(f"{console}/notices")
    expect(page.locator(f'tr[data-notice="{notice_id}"]')).to_contain_text("已读 1")


def test_a_reading_link_altered_or_posted_without_its_token_counts_nothing(
    page, console, sms, console_stack
):
    made = requests.post(
        f"{console_stack.url('notify')}/v1/notices", timeout=10,
        json={"community_id": COMMUNITY, "audience": "unit", "code": "jingxiang-b05-u4",
              "title": "电梯检修", "body": "4单元电梯周五检修。", "urgent": True},
        headers={**person_headers(console_stack, STAFF[0], "staff"),
                 "Idempotency-Key": uuid.uuid4().hex},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    text = wait_until("the SMS to p-ul-006", lambda: [
        t for t in texts_to(sms, UNIT_LEADER_6) if "电梯检修" in t
    ])[-1]  # fmt: skip
    token = READ_LINK.search(text).group(2)
    page.set_viewport_size(PHONE_VIEWPORT)
    altered = page.goto(f"{console}/r/notice/{token[:-4]}AAAA")
    assert altered.status == 404
    page.goto(f"{console}/r/notice/{token}")
    forged = page.request.post(f"{console}/r/notice/{token}", form={"csrf": "forged"},
                               max_redirects=0)  # fmt: skip
    assert forged.status == 403
    assert sms_read_count(console_stack, made.json()["id"]) == 0


def test_a_grid_worker_sends_inside_their_grids_only_and_bad_forms_send_nothing(
    page, console, sms, console_stack
):
    page.set_viewport_size(PHONE_VIEWPORT)
    signed_in(page, console, sms, GRID_WORKER)
    page.goto(f"{console}/notices/new")
    offered = page.locator("#notice-audience option").evaluate_all("os => os.map(o => o.value)")
    assert "community:jingxiang" not in offered and "building:jingxiang-b05" in offered
    assert "building:jingxiang-b20" not in offered, "grid 2's building is not offered"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    before = notice_ids(console_stack)

    compose(page, console, "building:jingxiang-b05", "", "正文")
    form = form_data(page, "#form-compose")
    refused = page.request.post(f"{console}/notices/new", form={**form, "title": ""})
    assert refused.status == 400 and "notice-title-error" in refused.text()
    outside = page.request.post(f"{console}/notices", form={
        **form, "title": "越界", "audience": "building:jingxiang-b20", "channels": "sms",
        "request_key": "k" * 22,
    })  # fmt: skip
    assert outside.status == 400 and "网格员只能向自己负责的网格发通知" in outside.text()
    forged = page.request.post(f"{console}/notices", form={
        **form, "csrf": "", "title": "伪造", "channels": "sms", "request_key": "f" * 22,
    })  # fmt: skip
    assert forged.status == 403
    as_get = page.request.get(f"{console}/notices?title=x&audience=building:jingxiang-b05")
    assert as_get.status == 200
    assert notice_ids(console_stack) == before, "nothing refused was sent"

    mine = page.request.post(f"{console}/notices", form={
        **form, "title": "楼道清理", "channels": "sms", "request_key": "m" * 22,
    }, max_redirects=0)  # fmt: skip
    assert mine.status == 303
    notice_id = mine.headers["location"].split("/")[-1].split("?")[0]
    again = page.request.post(f"{console}/notices", form={
        **form, "title": "楼道清理", "channels": "sms", "request_key": "m" * 22,
    }, max_redirects=0)  # fmt: skip
    assert again.headers["location"] == mine.headers["location"], "one notice per confirmation"

    page.context.clear_cookies()
    signed_in(page, console, sms, GRID_WORKER_2)
    assert page.goto(f"{console}/notices/{notice_id}").status == 404, "grid 1's, not grid 2's"
    assert notice_id not in page.goto(f"{console}/notices").text()
