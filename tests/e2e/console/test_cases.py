"""Cases in the console, in a real browser: the triage queue through assign and verify, a
community's and a grid's boundary, a phone's screen, GETs that change nothing, forms that
need their CSRF token."""

from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import expect

from scripts.stack import SERVICES
from tests.conftest import RUN_ID
from tests.e2e.conftest import wait_for_state
from tests.e2e.console.browser import (
    GRID_WORKER,
    SCREENSHOTS,
    STAFF_2,
    STAFF_4,
    report,
    requests_case,
    signed_in,
    volunteer_headers,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_work_a_case_from_the_triage_queue_through_assign_and_verify(
    page, console, sms, console_stack
):
    case = report(console_stack, "小区门口有点情况请来看看 something odd at the gate")
    assert case["state"] == "reported", case
    emergency = report(console_stack, "3栋楼道着火了，有浓烟 fire and smoke in the stairwell")
    signed_in(page, console, sms, STAFF_2)
    page.get_by_role("link", name="待分类").first.click()
    rows = page.locator("#triage-queue tbody tr")
    expect(rows.filter(has_text=case["number"])).to_have_count(1)
    if emergency["state"] == "reported":  # emergencies lead the queue, marked
        expect(rows.first).to_contain_text(emergency["number"])
        expect(rows.first.locator(".emergency")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-triage.png"), full_page=True)
    page.get_by_role("link", name=case["number"]).click()
    page.get_by_label("类别").select_option("parking.fire_lane")
    page.get_by_role("button", name="分类并派遣").click()
    expect(page.locator("#done")).to_contain_text("已分类")
    wait_for_state(console_stack, case["id"], "dispatched")
    page.reload()
    expect(page.locator("#form-assign select")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-case.png"), full_page=True)
    page.get_by_role("button", name="指派").click()
    expect(page.locator("#done")).to_contain_text("已指派")
    assignee = wait_for_state(console_stack, case["id"], "dispatched")["assignee"]
    volunteer = volunteer_headers(console_stack, assignee)
    for action, body in (("accept", {}), ("resolve", {"resolution": "车已挪走"})):
        answer = requests.post(
            f"{console_stack.url('cases')}/v1/cases/{case['id']}/{action}",
            json=body, headers=volunteer, timeout=10,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
    page.reload()
    page.get_by_label("备注").fill("已现场核实")
    page.get_by_role("button", name="核查通过").click()
    expect(page.locator("#done")).to_contain_text("已核查结案")
    expect(page.locator("#case-state")).to_have_text("已结案")  # cases' word, as staff say it
    expect(page.locator("#case-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("ol.timeline")).to_contain_text("核查 → 已结案")
    page.screenshot(path=str(SCREENSHOTS / "console-case-closed.png"), full_page=True)


def test_another_communitys_case_is_not_shown_and_its_url_is_404(page, console, sms, console_stack):
    other = report(console_stack, "别的社区的情况 elsewhere", community=f"cx-{RUN_ID}")
    mine = report(console_stack, "我们社区的情况 ours")
    signed_in(page, console, sms, STAFF_4)
    page.goto(f"{console}/triage")
    expect(page.locator("#triage-queue")).to_contain_text(mine["number"])
    expect(page.locator("#triage-queue")).not_to_contain_text(other["number"])
    answer = page.goto(f"{console}/cases/{other['id']}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()


def test_a_grid_worker_sees_only_their_grid(page, console, sms, console_stack):
    elsewhere = report(console_stack, "二网格的情况 in grid two", grid="jingxiang-g2")
    signed_in(page, console, sms, GRID_WORKER)
    answer = page.goto(f"{console}/cases/{elsewhere['id']}")
    assert answer is not None and answer.status == 404


def test_a_grid_worker_works_on_a_phone_without_scrolling_sideways(
    page, console, sms, console_stack
):
    """Grid workers carry phones: every page fits a 390-pixel screen, its text in Chinese."""
    mine = report(console_stack, "一网格楼道灯不亮 phone check", grid="jingxiang-g1")
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in(page, console, sms, GRID_WORKER)
    for path, name in (("/", "home"), ("/triage", "triage"), (f"/cases/{mine['id']}", "case")):
        page.goto(f"{console}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
        page.screenshot(path=str(SCREENSHOTS / f"console-phone-{name}.png"), full_page=True)
    expect(page.locator("h1")).to_contain_text(mine["number"])


def test_a_get_never_changes_anything(page, console, sms, console_stack, mongo_client):
    case = report(console_stack, "只是看看不动 look only")
    signed_in(page, console, sms)
    databases = [f"{console_stack.db_prefix}{service}" for service in SERVICES]

    def snapshot() -> dict[str, int]:
        return {
            f"{name}.{collection}": mongo_client[name][collection].count_documents({})
            for name in databases
            for collection in mongo_client[name].list_collection_names()
            if collection != "leases"
        }

    def settled() -> dict[str, int] | None:  # the report's events are all consumed
        first = snapshot()
        time.sleep(1.0)
        return first if snapshot() == first else None

    before = wait_until("the console_stack to settle", settled, timeout=30)
    version = requests_case(console_stack, case["id"])["version"]
    for path in ("/", "/home/figures", "/triage", f"/cases/{case['id']}",
                 f"/cases/{case['id']}/verify", "/sign-out", "/lists/overdue"):  # fmt: skip
        page.goto(f"{console}{path}")
    assert requests_case(console_stack, case["id"])["version"] == version
    assert snapshot() == before


def test_a_form_without_its_csrf_token_is_refused(page, console, sms, console_stack):
    case = report(console_stack, "没有令牌的表单 no token")
    signed_in(page, console, sms, STAFF_2)
    page.goto(f"{console}/cases/{case['id']}")
    page.locator("#form-reject input[name=csrf]").evaluate("input => input.remove()")
    page.locator("#reject-reason").fill("不属于本社区")
    with page.expect_response(f"{console}/cases/{case['id']}/reject") as answer:
        page.get_by_role("button", name="退单").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="请求被拒绝")).to_be_visible()
    assert requests_case(console_stack, case["id"])["state"] == "reported"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = requests.post(
        f"{console}/cases/{case['id']}/reject",
        data={"reason": "x", "csrf": "forged"},
        cookies=cookies,
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 403
    assert requests_case(console_stack, case["id"])["state"] == "reported"
