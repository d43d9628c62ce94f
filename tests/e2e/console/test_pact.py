"""The residents' pact (居民公约红黑榜) in a real browser: a unit leader signs in on a phone
(375×667) and records a breach with a photo and a commendation for households of their
unit; each household answers from the resident page after proving its number by SMS code
(the commendation's without consent to its surname); once the window has closed (the e2e
pact file makes it a minute) staff uphold the breach and publish the quarter's list after
confirming; the public list shows the breach's room masked and the commendation with no
surname.

Attacks: a unit leader on staff's pages (403), a forged form without its CSRF token
(403, nothing recorded), a household answering another household's observation (404,
nothing answered), publishing twice (refused in words)."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from lianxin.quarters import NAME
from tests.cases.app.test_photos import jpeg_with_gps
from tests.e2e.console.browser import COMMUNITY, SCREENSHOTS, STAFF_3, code_for, sent_so_far
from tests.e2e.console.browser import signed_in as staff_signed_in
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

PHONE_VIEW = {"width": 375, "height": 667}
UNIT_LEADER = ("p-ul-001", "13907310007")  # leads 1栋1单元 (jingxiang-b01-u1)
BREACH_HOUSEHOLD = ("101", "13907311001")
PRAISED_HOUSEHOLD = ("501", "13907311002")
OBSERVATION = re.compile(r"PO-[0-9a-f]{16}")


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEW["width"]


@pytest.fixture(scope="module")
def unit_leader_known(console, console_stack, mongo_client) -> None:
    people = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    wait_until("the console to know the unit leader",
               lambda: people.find_one({"_id": UNIT_LEADER[0]}))  # fmt: skip


def unit_leader_signs_in(page: Page, console: str, sms) -> None:
    page.set_viewport_size(PHONE_VIEW)
    before = sent_so_far(sms)
    page.goto(f"{console}/sign-in")
    page.get_by_label("手机号").fill(UNIT_LEADER[1])
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(code_for(sms, UNIT_LEADER[1], before))
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("link", name="公约记录")).to_be_visible()


def record(page: Page, console: str, room: str, kind: str, seen: str,
           photo: bytes | None = None) -> None:  # fmt: skip
    page.goto(f"{console}/my/pact")
    form = page.locator("#pact-record")
    form.get_by_label("单元").select_option("jingxiang-b01-u1")
    form.get_by_label("房号").fill(room)
    form.get_by_label("公约条款").select_option("1")
    form.get_by_label("违约（黑榜）" if kind == "breach" else "表扬（红榜）").check()
    form.get_by_label("所见情况").fill(seen)
    if photo is not None:
        form.get_by_label("证据照片（最多4张）").set_input_files(
            [{"name": "stairs.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
    form.get_by_role("button", name="提交记录").click()
    expect(page.locator("#done")).to_contain_text("已记录")


def resident_answers(page: Page, console: str, sms, phone: str, text: str) -> str:
    """The household proves its number and answers its newest observation; returns its id."""
    page.context.clear_cookies()
    page.set_viewport_size(PHONE_VIEW)
    page.goto(f"{console}/r/pact/{COMMUNITY}")
    expect(page.get_by_role("heading", name=re.compile("居民公约"))).to_be_visible()
    fits_the_phone(page)
    before = sent_so_far(sms)
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(code_for(sms, phone, before))
    page.get_by_role("button", name="验证", exact=True).click()
    seen = page.locator("article.pact-observation").first
    expect(seen).to_be_visible()
    fits_the_phone(page)
    observation_id = seen.get_attribute("data-observation")
    seen.get_by_label("您的回复").fill(text)
    seen.get_by_role("button", name="提交回复").click()
    expect(page.locator("#done")).to_contain_text("已收到您的回复")
    return observation_id


def test_a_breach_from_the_unit_leaders_phone_to_the_published_list(
    page: Page, console: str, console_stack, sms, unit_leader_known
):
    marker = uuid.uuid4().hex[:6]
    unit_leader_signs_in(page, console, sms)
    page.goto(f"{console}/pact")  # staff's page: not for a unit leader
    expect(page.get_by_role("heading", name="请求被拒绝")).to_be_visible()
    photo = jpeg_with_gps(800, 600)
    record(page, console, BREACH_HOUSEHOLD[0], "breach", f"楼道堆放纸箱 {marker}", photo)
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "console-pact-unit-leader.png"), full_page=True)
    record(page, console, PRAISED_HOUSEHOLD[0], "commendation", f"主动清理楼道 {marker}")
    mine = page.locator("article.pact-observation").filter(has_text=marker)
    expect(mine).to_have_count(2)

    # a forged form (no CSRF token) with the unit leader's own session records nothing
    session = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = requests.post(f"{console}/my/pact/observations", cookies=session, timeout=10,
                           files={"room": (None, "101"), "unit": (None, "jingxiang-b01-u1"),
                                  "seen": (None, f"伪造 {marker}")})  # fmt: skip
    assert forged.status_code == 403
    page.reload()
    expect(page.locator("article.pact-observation").filter(has_text="伪造")).to_have_count(0)

    breach_id = resident_answers(page, console, sms, BREACH_HOUSEHOLD[1], "纸箱当天已搬走")
    expect(page.locator(f'[data-observation="{breach_id}"] img')).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "console-pact-resident.png"), full_page=True)
    # this household may not answer the other household's observation
    praised_id = resident_answers(page, console, sms, PRAISED_HOUSEHOLD[1], "谢谢表扬")
    forged_answer = page.request.post(
        f"{console}/r/pact/{COMMUNITY}/observations/{breach_id}/answer",
        form={"csrf": csrf_of(page), "text": "不是我家"},
    )
    assert forged_answer.status == 404

    # staff uphold the breach once the window has closed, then publish after confirming
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()
    staff_signed_in(page, console, sms, STAFF_3)

    def waiting() -> bool:  # both answered: both wait for staff once their windows close
        page.goto(f"{console}/pact")
        shown = [f'#waiting-title ~ [data-observation="{n}"]' for n in (breach_id, praised_id)]
        return all(page.locator(found).count() == 1 for found in shown)

    wait_until("the windows to close", waiting, timeout=120)
    for observation_id in (breach_id, praised_id):
        decided = page.locator(f'#waiting-title ~ [data-observation="{observation_id}"]')
        decided.get_by_label("成立").check()
        decided.get_by_role("button", name="决定").click()
        expect(page.locator("#done")).to_contain_text("已决定")
    page.get_by_role("link", name="发布季度榜单").click()
    expect(page.locator("#black-list")).to_contain_text("1**")
    page.get_by_role("button", name="确认发布").click()  # not confirmed: the browser stops it
    expect(page.locator("#published")).to_have_count(0)
    page.get_by_label(re.compile("我已核对")).check()
    page.get_by_role("button", name="确认发布").click()
    expect(page.locator("#done")).to_contain_text("榜单已发布")
    quarter = page.url.split("quarter=")[1].split("&")[0]
    assert NAME.fullmatch(quarter), quarter  # named as every service names it: 2026-Q4
    form = {"csrf": csrf_of(page), "quarter": quarter, "confirm": "yes"}
    again = page.request.post(f"{console}/pact/publish", form=form)
    assert again.status == 409 and "已发布过" in again.text()
    old_name = quarter.replace("-", "")  # 2026Q4: no second name for the same quarter
    for named in (old_name, "0000-Q1"):  # nor a year the calendar holds no date of: 400, not 500
        assert page.request.get(f"{console}/pact?quarter={named}").status == 400

    # the public list, on a phone: the room masked, no name, no surname without consent
    page.context.clear_cookies()
    page.set_viewport_size(PHONE_VIEW)
    for named in (old_name, "0000-Q1"):
        assert page.request.get(f"{console}/r/pact/{COMMUNITY}/{named}").status == 404
    page.goto(f"{console}/r/pact/{COMMUNITY}/{quarter}")
    black, red = page.locator("#black-list"), page.locator("#red-list")
    expect(black.locator("td.room")).to_have_text(["1**"])
    expect(red.locator("td.room")).to_have_text(["5**"])
    expect(red.locator("td.surname")).to_have_text([""])
    body = page.content()
    for hidden in ("101", "501", BREACH_HOUSEHOLD[1], marker, breach_id, praised_id):
        assert hidden not in body
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "console-pact-list.png"), full_page=True)


def csrf_of(page: Page) -> str:
    return page.locator('input[name="csrf"]').first.get_attribute("value") or ""
