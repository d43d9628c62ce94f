"""The mediation desk (矛盾调处) in a real browser at a phone's 390 px: staff find a new
dispute on `/desk`, and from its desk page set the appointment at a time the desk offers
(its sessions in the community's zone, holidays skipped), record the parties with their
consent (masked on screen), a session held with who attended, the agreement and its
follow-up visit — each form confirmed first, and each confirmation acting once.

Attacks: a party without consent, an outcome before any session, a session outside the
desk's hours, a second outcome, a replayed confirmation, a form without its CSRF token, a
link scanner's GET, a volunteer's session, a grid worker of another grid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from lianxin.contracts.calendars import desks
from tests.e2e.console.browser import (
    GRID_WORKER,
    SCREENSHOTS,
    STAFF_2,
    VOLUNTEER_DUTY,
    close,
    report,
    requests_case,
    signed_in,
)
from tests.e2e.console.test_duty import form_data

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESK = desks()["jingxiang:mediation_desk"]
DISPUTE = "邻居吵架好几天了，楼上漏水到我家也不管"


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"console-desk-{name}.png"), full_page=True)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def confirm(page: Page, form: str, done: str) -> dict[str, str]:
    """Send the desk's form, check the confirm page, confirm; the confirmation's fields."""
    page.locator(form).get_by_role("button", name="下一步：确认").click()
    expect(page.get_by_role("heading", name="请确认")).to_be_visible()
    fits_the_phone(page)
    confirmed = form_data(page, "#confirm-form")
    page.get_by_role("button", name="确认登记").click()
    expect(page.locator("#done")).to_have_text(done)
    return confirmed


@pytest.fixture
def staff(page: Page, console: str, sms) -> Page:
    page.set_viewport_size(PHONE)
    signed_in(page, console, sms, STAFF_2)
    return page


def dispute(console_stack) -> dict:
    case = report(console_stack, DISPUTE)
    assert case["category"].startswith("dispute."), case["category"]
    return case


def test_staff_walk_a_dispute_from_appointment_to_follow_up(staff: Page, console, console_stack):
    case = dispute(console_stack)
    staff.goto(f"{console}/desk")
    expect(staff.locator("#desk-zone")).to_contain_text("Asia/Shanghai")
    waiting = staff.locator(f"#desk-waiting [data-case='{case['id']}']")
    expect(waiting).to_be_visible()
    fits_the_phone(staff)
    waiting.get_by_role("link").click()
    expect(staff.get_by_role("heading", name=f"调解记录 · {case['number']}")).to_be_visible()
    expect(staff.locator("#desk-outcome")).to_have_count(0)  # no form before a session

    offered = staff.locator("#appointment-starts option").first.get_attribute("value")
    assert DESK.opening_holding(datetime.fromisoformat(offered), datetime.fromisoformat(offered))
    staff.locator("#appointment-venue").fill("红帆驿站")
    replayed = confirm(staff, "#desk-appointment", "已约定调解时间。")
    again = staff.request.post(f"{console}/cases/{case['id']}/desk/appointment", form=replayed,
                               max_redirects=0)  # fmt: skip
    assert again.status == 303, "a confirmation sent twice answers as done"
    shown = requests_case(console_stack, case["id"])
    assert [s["action"] for s in shown["timeline"]].count("appointment") == 1, "and acts once"
    expect(staff.locator("#record-appointment")).to_contain_text("(Asia/Shanghai) · 红帆驿站")

    form = staff.locator("#desk-party")
    form.get_by_label("当事人姓名").fill("王小红")
    form.get_by_label("电话（可选）").fill("13807319999")
    form.get_by_role("button", name="下一步：确认").click()  # consent not ticked
    staff.get_by_role("button", name="确认登记").click()
    expect(staff.locator("#error-party-consent")).to_be_visible()
    assert requests_case(console_stack, case["id"])["parties"] == [], "nothing recorded"
    for name, role in (("王小红", "applicant"), ("李建国", "respondent")):
        form = staff.locator("#desk-party")
        form.get_by_label("当事人姓名").fill(name)
        form.get_by_label("身份").select_option(role)
        form.get_by_label("当事人同意登记其信息").check()
        confirm(staff, "#desk-party", "已登记当事人。")
    parties = staff.locator("#record-parties")
    expect(parties).to_contain_text("P1 · 王**")
    expect(parties).to_contain_text("P2 · 李**")
    expect(staff.locator("main")).not_to_contain_text("王小红")

    held = staff.locator("#session-held option").first.get_attribute("value")
    assert datetime.fromisoformat(held) <= datetime.now(UTC)
    staff.locator("#present-P1").check()
    staff.locator("#present-P2").check()
    staff.locator("#session-note").fill("双方同意先修漏水点")
    confirm(staff, "#desk-session", "已登记调解会。")
    expect(staff.locator("#record-sessions [data-session='S1']")).to_contain_text("P1、P2")
    screenshot(staff, "sessions")

    form = staff.locator("#desk-outcome")
    form.get_by_label("协议内容").fill("楼上住户赔偿修理费800元")
    form.get_by_label("签字人（姓名，用逗号或顿号分隔）").fill("王小红、李建国")
    confirm(staff, "#desk-outcome", "已登记调解结果。")
    expect(staff.locator("#record-signed")).to_have_text("王**、李**")
    recorded = requests_case(console_stack, case["id"])["mediation"]
    assert len(recorded["signed_by"]) == 2 and recorded["follow_up_due"]

    form = staff.locator("#desk-follow_up")
    form.get_by_label("回访情况（协议是否履行）").fill("双方已履行协议")
    confirm(staff, "#desk-follow_up", "已登记回访。")
    expect(staff.locator("#record-followed-up")).to_contain_text("双方已履行协议")
    fits_the_phone(staff)
    screenshot(staff, "followed-up")
    staff.goto(f"{console}/cases/{case['id']}")
    expect(staff.locator("#case-desk")).to_have_attribute("href", f"/cases/{case['id']}/desk")


def test_forms_that_do_not_fit_the_desk_change_nothing(staff: Page, console, console_stack):
    case = dispute(console_stack)
    staff.goto(f"{console}/cases/{case['id']}/desk")
    url = f"{console}/cases/{case['id']}/desk"
    base = form_data(staff, "#desk-appointment")  # its CSRF token, and a key of its own
    keyed = {"csrf": base["csrf"], "confirmed": "true"}

    early = {**keyed, "form_key": "k" * 20, "result": "agreement", "agreement": "x",
             "signed_by": "王小红"}  # fmt: skip
    refused = staff.request.post(f"{url}/outcome", form=early)
    assert refused.status == 409, "no outcome before a session was held"
    assert requests_case(console_stack, case["id"])["mediation"] is None

    staff.locator("#desk-party").get_by_label("当事人姓名").fill("赵大妈")
    staff.locator("#desk-party").get_by_label("当事人同意登记其信息").check()
    confirm(staff, "#desk-party", "已登记当事人。")
    friday = next(o.opens for o in DESK.openings(datetime.now(UTC) - timedelta(days=14)))
    outside = (friday - timedelta(days=1)).isoformat()  # the day before a session: closed
    session = {**keyed, "form_key": "s" * 20, "held_at": outside, "party_1": "true",
               "mediator": "p-mediator-1"}  # fmt: skip
    refused = staff.request.post(f"{url}/session", form=session)
    assert refused.status == 400 and "error-session-held_at" in refused.text()
    assert requests_case(console_stack, case["id"])["sessions"] == []

    no_token = {k: v for k, v in session.items() if k != "csrf"}
    assert staff.request.post(f"{url}/session", form=no_token).status == 403
    assert staff.request.post(f"{url}/verdict", form=session).status == 404
    assert staff.request.get(f"{url}/session").status == 405  # a scanner's GET
    bad = staff.request.post(f"{url}/appointment", form={**keyed, "form_key": "a" * 20,
                                                        "starts_at": "tomorrow"})  # fmt: skip
    assert bad.status == 400 and "error-appointment-starts_at" in bad.text()

    staff.locator("#present-P1").check()
    confirm(staff, "#desk-session", "已登记调解会。")
    staff.locator("#result-referral").check()
    staff.locator("#outcome-referred").select_option("court")
    confirm(staff, "#desk-outcome", "已登记调解结果。")
    second = staff.request.post(f"{url}/outcome", form={**early, "form_key": "t" * 20})
    assert second.status == 409
    assert requests_case(console_stack, case["id"])["mediation"]["referred_to"] == "court"


def test_a_volunteer_and_another_grids_worker_see_no_desk(
    page: Page, console, sms, console_stack, browser_context
):
    case = dispute(console_stack)  # in grid 2
    signed_in(page, console, sms, VOLUNTEER_DUTY)
    assert page.request.get(f"{console}/desk").status == 403
    assert page.request.get(f"{console}/cases/{case['id']}/desk").status == 403
    other = browser_context.new_page()
    try:
        signed_in(other, console, sms, GRID_WORKER)  # grid 1 only
        assert other.request.get(f"{console}/cases/{case['id']}/desk").status == 404
        other.goto(f"{console}/desk")
        expect(other.locator(f"[data-case='{case['id']}']")).to_have_count(0)
    finally:
        close(other)
