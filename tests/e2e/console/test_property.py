"""The property company's evaluation (物业考评) in a real browser: a resident at a phone's
375×667 proves a number of the household register by SMS code and rates the company; the
household's second number is told in words that the household voted, and the same ballot
sent again is refused in words; a number on no household is told so. Staff record the
company, enter the paper ballots, close the quarter through its confirmation page (below
the thresholds: a warning) and record the warning meeting.

Attacks: a grid worker on the staff's page (403), a form without its CSRF token (403,
nothing closed), closing twice (refused in words), bad counts (the field's error, nothing
entered), a link scanner's GET of the close page (closes nothing)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from lianxin.quarters import NAME
from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_WORKER,
    PHONE_VIEWPORT,
    SCREENSHOTS,
    STAFF,
    code_for,
    person_headers,
    sent_so_far,
    signed_in,
)
from tests.e2e.console.test_duty import form_data

pytestmark = pytest.mark.e2e
# household jingxiang-b01-u3-303 of the sample register (井湘小区一区) has two numbers
FIRST_PHONE, SECOND_PHONE = "13807310385", "13907311413"
VOTING_ESTATE, CLOSING_ESTATE = "jingxiang-e1", "jingxiang-e2"


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"console-property-{name}.png"), full_page=True)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


def record_company(stack, estate: str) -> None:
    """The estate's company, as staff record it (through estate's API with a staff token)."""
    answer = requests.put(
        f"{stack.url('estate')}/v1/property/estates/{estate}/company",
        json={
            "community_id": COMMUNITY,
            "name": "金盾物业",
            "starts_on": "2025-01-01",
            "ends_on": "2028-01-01",
        },
        headers=person_headers(stack, STAFF[0], "staff"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def verified(page: Page, console: str, sms, phone: str) -> None:
    """Steps 1 and 2 of the resident's page, at a phone's size."""
    page.set_viewport_size(PHONE_VIEWPORT)
    page.goto(f"{console}/r/property/{COMMUNITY}")
    expect(page.get_by_role("heading", name="物业服务满意度测评")).to_be_visible()
    fits_the_phone(page)
    before = sent_so_far(sms)
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#vote-message")).to_contain_text("验证码已发送")
    page.get_by_label("短信验证码").fill(code_for(sms, phone, before))
    page.get_by_role("button", name="验证", exact=True).click()


def test_a_resident_rates_the_company_and_the_household_votes_once(
    page, console, sms, console_stack
):
    record_company(console_stack, VOTING_ESTATE)
    verified(page, console, sms, FIRST_PHONE)
    expect(page.locator("#vote-message")).to_contain_text("已验证手机号")
    expect(page.locator("#vote-households")).to_contain_text("金盾物业")
    fits_the_phone(page)
    page.locator("#q-overall").get_by_label("不满意").check()
    for aspect, answer in (
        ("cleaning", "基本满意"),
        ("security", "满意"),
        ("repairs", "不满意"),
        ("green_space", "满意"),
    ):
        page.locator(f"#q-{aspect}").get_by_label(answer, exact=True).check()
    page.get_by_label("意见建议（选填）").fill("电梯经常坏，维修不及时")
    screenshot(page, "ballot")
    sent = form_data(page, "#vote-form")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#vote-thanks")).to_contain_text("感谢您的评价")
    fits_the_phone(page)
    screenshot(page, "thanks")

    # the same ballot sent again (a double tap, a replay): refused in words, nothing counted
    again = page.request.post(f"{console}/r/property/{COMMUNITY}", form=sent)
    assert again.status == 409
    assert "您家本季度已经投过票了" in again.text()

    # the household's other number: the page says the household voted, and offers no ballot
    verified(page, console, sms, SECOND_PHONE)
    expect(page.locator("#vote-households")).to_contain_text("本户本季度已投票")
    expect(page.locator("#vote-form")).to_have_count(0)
    fits_the_phone(page)
    screenshot(page, "voted")
    other = {**sent, "phone": SECOND_PHONE, "overall": "satisfied"}  # forged: proof of the first
    forged = page.request.post(f"{console}/r/property/{COMMUNITY}", form=other)
    assert forged.status == 403  # the proof is the first number's: verify again

    shown = requests.get(
        f"{console_stack.url('estate')}/v1/property/estates/{VOTING_ESTATE}",
        params={"community_id": COMMUNITY},
        headers=person_headers(console_stack, STAFF[0], "staff"),
        timeout=10,
    ).json()
    assert shown["open"][-1]["online"]["ballots"] == 1


def test_a_number_on_no_household_is_told_so(page, console, sms, console_stack):
    verified(page, console, sms, "13900000417")
    expect(page.locator("#vote-message")).to_contain_text("不在本社区住户登记中")
    fits_the_phone(page)


def test_staff_enter_paper_ballots_close_the_quarter_and_record_the_warning(
    page, console, sms, console_stack
):
    signed_in(page, console, sms, STAFF)
    page.goto(f"{console}/property")
    expect(page.get_by_role("heading", name="物业考评")).to_be_visible()
    page.get_by_role("link", name="井湘小区二区").click()
    page.get_by_label("公司名称").fill("绿城物业")
    page.get_by_label("合同开始").fill("2025-07-01")
    page.get_by_label("合同结束").fill("2028-06-30")
    page.get_by_role("button", name="登记物业公司").click()
    expect(page.locator("#done")).to_contain_text("物业公司已登记")
    expect(page.locator("#company-now")).to_contain_text("绿城物业")

    offline = page.locator("form[id^=form-offline-]")
    offline.evaluate("form => { form.noValidate = true; }")  # as a forged form would send it
    offline.locator("#q1-overall_satisfied").fill("-3")  # bad input: the field's error
    offline.get_by_role("button", name="录入").click()
    expect(page.locator("#refused")).to_be_visible()
    expect(page.locator("#error-q1-overall_satisfied")).to_be_visible()
    expect(page.locator("[id^=offline-entries-]")).to_have_count(0)  # nothing entered
    offline = page.locator("form[id^=form-offline-]")
    offline.locator("#q1-overall_satisfied").fill("3")
    offline.locator("#q1-overall_dissatisfied").fill("12")
    offline.get_by_role("button", name="录入").click()
    expect(page.locator("#done")).to_contain_text("线下票已录入")
    expect(page.locator("[data-figure=offline]").first).to_have_text("15")
    screenshot(page, "estate")

    page.locator("[id^=close-link-]").click()
    expect(page.locator("#figures-close [data-figure=level]")).to_contain_text("约谈")
    close_form = form_data(page, "#form-close")
    estate_page = re.sub(r"/close.*$", "", page.url)
    assert page.request.get(page.url).status == 200  # a link scanner's GET closes nothing
    forged = page.request.post(
        f"{estate_page}/close", form={k: v for k, v in close_form.items() if k != "csrf"}
    )
    assert forged.status == 403
    screenshot(page, "close")
    page.get_by_role("button", name="确认结束并冻结结果").click()
    expect(page.locator("#done")).to_contain_text("季度已结束")
    quarter = close_form["quarter"]
    assert NAME.fullmatch(quarter), quarter  # named as every service names it: 2026-Q4
    for named in (quarter.replace("-", ""), "0000-Q1"):  # 400, never a 500
        assert page.request.get(f"{estate_page}/close?quarter={named}").status == 400
    history = page.locator(f"[data-quarter='{quarter}']")
    expect(history.locator("[data-figure=level]")).to_contain_text("约谈")
    twice = page.request.post(f"{estate_page}/close", form=close_form)
    assert twice.status == 409 and "该季度已结束" in twice.text()

    page.get_by_label("内容").fill("约谈物业经理，要求一个月内改善保洁")
    page.get_by_role("button", name="保存记录").click()
    expect(page.locator("#done")).to_contain_text("处理记录已保存")
    expect(history.locator("[data-action=warning]")).to_contain_text("约谈物业经理")
    screenshot(page, "history")

    signed_in(page, console, sms, GRID_WORKER)
    assert page.request.get(f"{console}/property").status == 403
    assert page.request.get(f"{estate_page}").status == 403
