"""Care rounds (邻里守望) in a real browser: staff keep the register at `/care` (the
resident's consent required, names and numbers masked), and a carer at a phone's 375×667
ticks a round off at `/my/care` — well, and needs help, which opens a private case in the
care category through the door-knocking channel with the note as its description.

Attacks: a form without the resident's consent (nothing stored), a double tap (one tick),
another carer's round named in a form (refused, nothing ticked), a form without its CSRF
token (403), a link scanner's GET (acts never), a volunteer on the staff's register page
(403), a grid worker of another grid (sees no plan of this one)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.console.browser import (
    GRID_WORKER,
    PHONE_VIEWPORT,
    SCREENSHOTS,
    STAFF,
    VOLUNTEER_DUTY,
    close,
    person_headers,
    requests_case,
    signed_in,
)
from tests.e2e.console.test_duty import form_data
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
CARER = VOLUNTEER_DUTY[0]  # a green vest of grid 3
OTHER_CARER = "p-g3-green-2"
GRID_3_LEADER = ("p-g3-leader", "13807310518")  # 蒋长青: sees grid 3's plans
UNIT = "jingxiang-b34-u1"  # 34栋1单元, in grid 3
CHANGSHA = ZoneInfo("Asia/Shanghai")


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"care-{name}.png"), full_page=True)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    for button in page.locator("main button.big").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, box


def plan_for(stack, carer: str, name: str, need: str = "elderly_alone") -> dict:
    """A plan registered by staff through roster's API, its first round due in an hour."""
    body = {
        "name": name, "phone": "13900002222", "need": need, "kind": "visit",
        "cadence": "weekly", "area_code": UNIT, "carer_id": carer,
        "starts_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "consent": True,
    }  # fmt: skip
    answer = requests.post(
        f"{stack.url('roster')}/v1/care/plans",
        json=body,
        headers={**person_headers(stack, STAFF[0], "staff"), "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def first_day(plan: dict) -> str:
    return datetime.fromisoformat(plan["starts_at"]).astimezone(CHANGSHA).date().isoformat()


def tick_of(mongo_client, stack, plan: dict) -> dict | None:
    rounds = mongo_client[f"{stack.db_prefix}roster"]["care_rounds"]
    return rounds.find_one({"_id": f"{plan['id']}:{first_day(plan)}"})


@pytest.fixture
def carer(page: Page, console: str, sms, console_stack, mongo_client) -> Page:
    people = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    wait_until(f"the console to know {CARER}", lambda: people.find_one({"_id": CARER}))
    page.set_viewport_size(PHONE_VIEWPORT)
    signed_in(page, console, sms, VOLUNTEER_DUTY)
    return page


def test_staff_register_a_resident_only_with_their_consent(
    page: Page, console, sms, console_stack, mongo_client
):
    signed_in(page, console, sms, STAFF)
    page.get_by_role("link", name="邻里守望").click()
    expect(page.get_by_role("heading", name="邻里守望", exact=True)).to_be_visible()
    plans = mongo_client[f"{console_stack.db_prefix}roster"]["care_plans"]
    before = plans.count_documents({})
    form = page.locator("#form-plan")
    form.get_by_label("姓名").fill("赵桂兰")
    form.get_by_label("电话").fill("13900001111")
    form.get_by_label("方式").select_option("visit")
    form.get_by_label("频次").select_option("monthly")
    form.get_by_label("住址（单元）").select_option(UNIT)
    form.get_by_label("守望人").select_option(CARER)
    form.get_by_label("时间 (Asia/Shanghai)").fill("23:50")
    form.get_by_role("button", name="登记守望对象").click()  # no consent ticked
    expect(page.locator("#error-consent")).to_be_visible()
    assert plans.count_documents({}) == before, "nothing stored"
    form = page.locator("#form-plan")
    form.get_by_label("本人已同意接受邻里守望").check()
    form.get_by_role("button", name="登记守望对象").click()
    expect(page.locator("#done")).to_have_text("已加入登记册。")
    assert plans.count_documents({}) == before + 1
    register = page.locator("#care-register")
    expect(register).to_contain_text("赵**")
    expect(register).not_to_contain_text("赵桂兰")
    expect(register).not_to_contain_text("13900001111")
    registered = register.locator("li", has_text="赵**").first
    expect(registered.locator(".consent-by")).to_have_text("彭**")  # p-staff-1, masked
    expect(registered.locator(".carer")).to_have_text("吕**")  # the carer by name, for staff
    expect(registered).to_contain_text(f"({CARER})")  # with the id staff pick carers by
    expect(registered).not_to_contain_text("p-staff-1")
    expect(register.locator(".place").first).to_have_text("34栋1单元")  # the registry's name
    expect(register).not_to_contain_text(UNIT)
    screenshot(page, "register")
    page.set_viewport_size(PHONE_VIEWPORT)
    page.screenshot(path=str(SCREENSHOTS / "console-polish-care-register.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / "console-polish2-care-register-staff.png"))


def test_the_grid_s_leader_reads_the_register_by_masked_names_not_ids(
    page: Page, console, sms, console_stack, mongo_client
):
    """The grid leader of grid 3 sees the plan's carer and who recorded the consent by
    their masked names as the console knows them; no person's id."""
    people = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    for person_id in (GRID_3_LEADER[0], CARER):
        wait_until(
            f"the console to know {person_id}", lambda p=person_id: people.find_one({"_id": p})
        )
    plan = plan_for(console_stack, CARER, "钱秀英")
    page.set_viewport_size(PHONE_VIEWPORT)
    signed_in(page, console, sms, GRID_3_LEADER)
    page.goto(f"{console}/care")
    shown = page.locator(f"li[data-plan='{plan['id']}']")
    expect(shown).to_contain_text("钱**")
    expect(shown.locator(".carer")).to_have_text("吕**")
    expect(shown.locator(".consent-by")).to_have_text("彭**")
    expect(shown).not_to_contain_text(CARER)
    expect(page.locator("#care-register")).not_to_contain_text("p-staff-1")
    fits_the_phone(page)
    shown.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "console-polish2-care-register-leader.png"))


def test_the_carer_ticks_a_round_off_once_on_the_phone(carer: Page, console, console_stack,
                                                       mongo_client):  # fmt: skip
    plan = plan_for(console_stack, CARER, "钱秀珍")
    carer.get_by_role("link", name="邻里守望").click()
    section = carer.locator(f"section[data-plan='{plan['id']}']")
    expect(section).to_contain_text("钱**")
    expect(section).not_to_contain_text("钱秀珍")
    expect(section.locator(".place")).to_have_text("34栋1单元")  # as the registry names it
    expect(section).not_to_contain_text(UNIT)
    expect(carer.locator("#zone")).to_contain_text("Asia/Shanghai")
    carer.screenshot(path=str(SCREENSHOTS / "console-polish-care-my.png"), full_page=True)
    fits_the_phone(carer)
    form = f"section[data-plan='{plan['id']}'] form.care-tick"
    section.get_by_label("简要记录").fill("上门看望，老人身体不错")
    sent = form_data(carer, form)
    assert sent["outcome"] == "well"
    for _ in range(2):  # a double tap: one tick
        answer = carer.request.post(f"{console}/my/care/tick", form=sent, max_redirects=0)
        assert answer.status == 303 and answer.headers["location"] == "/my/care?done=well"
    stored = tick_of(mongo_client, console_stack, plan)
    assert stored["outcome"] == "well" and stored["carer_id"] == CARER
    carer.goto(f"{console}/my/care?done=well")
    expect(carer.locator("#done")).to_have_text("已登记：一切安好。")
    expect(section.locator(".care-round .state").first).to_have_text("已登记")
    fits_the_phone(carer)
    screenshot(carer, "my-rounds-well")


def test_a_round_that_needs_help_opens_a_private_case(carer: Page, console, console_stack,
                                                      mongo_client):  # fmt: skip
    plan = plan_for(console_stack, CARER, "孙玉梅", need="disability")
    carer.goto(f"{console}/my/care")
    section = carer.locator(f"section[data-plan='{plan['id']}']")
    section.get_by_label("需要帮助（将立案）").check()
    note = "老人说这几天头晕，需要社区医生上门看看"
    section.get_by_label("简要记录").fill(note)
    section.get_by_role("button", name="登记本次守望").click()
    expect(carer.locator("#done")).to_contain_text("已登记，并已转为案件。")
    case_id = carer.locator("#done-case").inner_text().split()[-1]
    stored = tick_of(mongo_client, console_stack, plan)
    assert stored["outcome"] == "needs_help" and stored["case_id"] == case_id
    case = requests_case(console_stack, case_id)
    assert (case["category"], case["channel"], case["description"]) == (
        "care.elderly_alone", "door_knocking", note,
    )  # fmt: skip
    assert case["grid_id"] == "jingxiang-g3"
    fits_the_phone(carer)
    screenshot(carer, "my-rounds-needs-help")


def test_another_carers_round_and_forged_forms_change_nothing(
    carer: Page, console, console_stack, mongo_client, sms, browser_context
):
    mine = plan_for(console_stack, CARER, "周淑英")
    theirs = plan_for(console_stack, OTHER_CARER, "吴桂芝")
    carer.goto(f"{console}/my/care")
    expect(carer.locator(f"section[data-plan='{theirs['id']}']")).to_have_count(0)
    sent = form_data(carer, f"section[data-plan='{mine['id']}'] form.care-tick")
    sent["note"] = "伪造"
    forged = {**sent, "plan_id": theirs["id"], "day": first_day(theirs)}
    answer = carer.request.post(f"{console}/my/care/tick", form=forged)
    assert answer.status == 409 and "不是您负责的" in answer.text()
    no_token = {k: v for k, v in sent.items() if k != "csrf"}
    assert carer.request.post(f"{console}/my/care/tick", form=no_token).status == 403
    bad = carer.request.post(f"{console}/my/care/tick", form={**sent, "outcome": "dead"})
    assert bad.status == 400 and "表单有误" in bad.text()
    assert carer.request.get(f"{console}/my/care/tick").status == 405
    assert carer.request.get(f"{console}/care").status == 403  # the staff's register
    assert tick_of(mongo_client, console_stack, theirs) is None
    assert tick_of(mongo_client, console_stack, mine) is None
    # a grid worker of grid 1 sees no plan of grid 3
    other = browser_context.new_page()
    try:
        signed_in(other, console, sms, GRID_WORKER)
        other.goto(f"{console}/care")
        expect(other.get_by_role("heading", name="邻里守望", exact=True)).to_be_visible()
        expect(other.locator(f"[data-plan='{mine['id']}']")).to_have_count(0)
        expect(other.locator("#form-plan")).to_have_count(0)
    finally:
        close(other)
