"""The estate fund (物业基金) in a real browser: staff set the year's rates and record a
payment through its confirm step; a resident at a phone's 375×667 proves their number by
SMS code and sees their household's statement, and only theirs.

Attacks: another community's household (404, as estate answers), a confirmation posted
twice (one payment), a form without its CSRF token (403, nothing recorded), a bad amount
(the field's error, nothing recorded), a link scanner's GET (acts never), a grid worker on
the staff's page (403), and a number on no household (one sentence that tells nothing)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import admin_cli
from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_WORKER,
    PHONE_VIEWPORT,
    SCREENSHOTS,
    STAFF_4,
    code_for,
    sent_so_far,
    signed_in,
)
from tests.e2e.console.test_duty import form_data

pytestmark = pytest.mark.e2e

HOUSEHOLD = "jingxiang-b23-u2-504"  # the sample volunteer p-g2-blue-2's, 13807310504
RESIDENT_PHONE = "13807310504"
OTHER = "fund-other"


def this_year() -> int:
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"console-estate-fund-{name}.png"), full_page=True)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


@pytest.fixture(scope="module")
def other_community(console_stack, tmp_path_factory) -> str:
    """A household of another community in estate's register (the operator's CLI)."""
    path = tmp_path_factory.mktemp("fund") / "households.csv"
    path.write_text(
        "household_id,community,estate,building,unit,room,floor_area,phones\n"
        f"fo-h1,{OTHER},e1,b1,u1,101,70,13807319977\n",
        encoding="utf-8",
    )
    imported = admin_cli(console_stack, "estate", "import", str(path))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return "fo-h1"


@pytest.fixture
def rates_set(page: Page, console, sms) -> int:
    """Staff set this year's rates on the overview page (6 yuan/m², 20 yuan an hour); the
    same rates again change nothing."""
    signed_in(page, console, sms, STAFF_4)
    page.goto(f"{console}/fund?year={this_year()}")
    page.get_by_label("每平方米每年（元）").fill("6.00")
    page.get_by_label("每小时志愿服务折合（元）").fill("20")
    page.get_by_role("button", name="保存标准").click()
    expect(page.locator("#done")).to_have_text("收费标准已保存。")
    expect(page.locator("#fund-rates")).to_contain_text("6.00")
    expect(page.locator("#fund-statements li[data-household]")).to_have_count(200)  # a page
    expect(page.locator("#fund-next")).to_be_visible()
    screenshot(page, "overview")
    return this_year()


def test_staff_record_a_payment_through_its_confirm_step_once(page: Page, console, sms, rates_set):
    signed_in(page, console, sms, STAFF_4)
    page.goto(f"{console}/fund/h/{HOUSEHOLD}?year={rates_set}")
    paid_before = page.locator("#st-paid").inner_text()
    page.get_by_label("金额（元）").fill("12.345")  # a third decimal: refused, nothing recorded
    page.get_by_label("收据号").fill("JX-F-0001")
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#error-amount")).to_contain_text("最多两位小数")
    expect(page.locator("#st-paid")).to_have_text(paid_before)

    page.get_by_label("金额（元）").fill("100.50")
    page.get_by_label("缴费方式").select_option("wechat")
    page.get_by_label("收据号").fill("JX-F-0001")
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#confirm-amount")).to_have_text("¥100.50")
    screenshot(page, "confirm")
    confirmation = form_data(page, "#fund-confirm form")
    page.get_by_role("button", name="确认登记").click()
    expect(page.locator("#done")).to_have_text("缴费已登记。")
    expect(page.locator("#st-paid")).to_have_text("¥100.50")
    screenshot(page, "household")

    again = page.request.post(f"{console}/fund/h/{HOUSEHOLD}/payments", form=confirmation)
    assert again.ok  # the same form's key: estate answers the payment it recorded
    page.reload()
    expect(page.locator("#fund-payments li[data-kind=payment]")).to_have_count(1)
    forged = {**confirmation, "csrf": "", "form_key": "f" * 22, "receipt": "JX-F-0002"}
    refused = page.request.post(f"{console}/fund/h/{HOUSEHOLD}/payments", form=forged)
    assert refused.status == 403
    scanned = page.request.get(f"{console}/fund/h/{HOUSEHOLD}/payments")
    assert scanned.status == 405
    page.reload()
    expect(page.locator("#fund-payments li[data-kind=payment]")).to_have_count(1)


def test_a_resident_sees_their_households_statement_on_a_phone(
    page: Page, console, sms, rates_set
):
    page.context.clear_cookies()
    page.set_viewport_size(PHONE_VIEWPORT)
    page.goto(f"{console}/r/fund/{COMMUNITY}")
    expect(page.get_by_role("heading", name="物业基金账单")).to_be_visible()
    fits_the_phone(page)
    before = sent_so_far(sms)
    page.get_by_label("手机号").fill(RESIDENT_PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#fund-message")).to_contain_text("验证码已发送")
    page.get_by_label("短信验证码").fill(code_for(sms, RESIDENT_PHONE, before))
    page.get_by_role("button", name="查看账单").click()
    statement = page.locator("#fund-statement")
    expect(statement).to_contain_text(str(rates_set))
    expect(page.locator("#st-paid")).to_have_text("¥100.50")
    expect(page.locator(".fund-address")).to_contain_text("jingxiang-b23-u2")
    fits_the_phone(page)
    screenshot(page, "resident")
    assert page.locator(".fund-statement").count() == 1  # their household only
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_number_on_no_household_is_told_nothing(page: Page, console, sms, rates_set):
    page.context.clear_cookies()
    page.set_viewport_size(PHONE_VIEWPORT)
    page.goto(f"{console}/r/fund/{COMMUNITY}")
    unknown = "13907319876"
    before = sent_so_far(sms)
    page.get_by_label("手机号").fill(unknown)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(code_for(sms, unknown, before))
    page.get_by_role("button", name="查看账单").click()
    expect(page.locator("#fund-none")).to_be_visible()
    expect(page.locator("#fund-statement")).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_another_communitys_household_is_not_found_and_a_grid_worker_is_refused(
    page: Page, console, sms, rates_set, other_community, console_stack
):
    signed_in(page, console, sms, STAFF_4)
    answer = page.goto(f"{console}/fund/h/{other_community}?year={rates_set}")
    assert answer is not None and answer.status == 404
    signed_in(page, console, sms, GRID_WORKER)
    answer = page.goto(f"{console}/fund")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("link", name="物业基金")).to_have_count(0)
    # nobody without a session gets in, and the CSV is the staff's too
    assert requests.get(f"{console}/fund/export.csv", timeout=10, allow_redirects=False
                        ).status_code == 303  # fmt: skip


def test_staff_download_the_years_statements_as_csv(page: Page, console, sms, rates_set):
    signed_in(page, console, sms, STAFF_4)
    answer = page.request.get(f"{console}/fund/export.csv?year={rates_set}")
    assert answer.ok and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("household_id,year,floor_area_m2,dues_fen")
    row = next(line for line in lines if line.startswith(HOUSEHOLD))
    assert ",10050," in row  # paid, in fen
    assert len(lines) == 1 + 493
