"""Rota (排班) and volunteer hours (志愿时长) in the console, in a real browser: approving and
rejecting credits above the auto-approve limit, a correction sent twice, the rota week and
the gaps roster's rota check reports, leave entered in the form, a grid worker's read-only
view and refused POSTs, the CSV export; forms without their CSRF token and bad input
change nothing."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import helper_headers
from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_LEADER,
    GRID_WORKER,
    SCREENSHOTS,
    STAFF,
    STAFF_3,
    signed_in,
)
from tests.e2e.test_roster_dispatch import case_event, past_morning, publish
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
CHANGSHA = ZoneInfo("Asia/Shanghai")


def roster(stack, path: str, **params) -> requests.Response:
    return requests.get(
        f"{stack.url('roster')}{path}", params=params, headers=helper_headers(stack), timeout=10
    )


def ledger(stack, person_id: str) -> dict:
    answer = roster(stack, f"/v1/people/{person_id}/hours")
    assert answer.status_code == 200, answer.text
    return answer.json()


def credit_over_the_limit(stack, person_id: str) -> str:
    """A mediation of five daytime hours resolved by `person_id`: dispute.* is measured (cap
    6 h), over the 4 h that roster approves by itself, so it waits for staff. Returns the
    credit's entry id once roster lists it."""
    case_id = f"LX-E2E-{uuid.uuid4().hex[:10].upper()}"
    morning = past_morning(hours=5)
    resolved = case_event(
        "case.resolved", case_id, COMMUNITY, 4, person_id=person_id, resolution="调解成功",
        accepted_at=morning.isoformat(), resolved_at=(morning + timedelta(hours=5)).isoformat(),
        on_time=True, first_time=True,
    )  # fmt: skip
    resolved["payload"] |= {"category": "dispute.neighbour", "team": "mediation_desk"}
    publish(stack.amqp_uri, resolved)
    entry_id = f"H-{resolved['event_id']}"

    def listed() -> bool:
        waiting = roster(stack, "/v1/hours/waiting", community_id=COMMUNITY, limit=200).json()
        return any(entry["entry_id"] == entry_id for entry in waiting["entries"])

    wait_until(f"credit {entry_id} in the approvals queue", listed, timeout=30)
    return entry_id


def waiting_item(page: Page, entry_id: str):
    return page.locator(f"li.waiting[data-entry='{entry_id}']")


def form_data(page: Page, selector: str) -> dict[str, str]:
    return page.locator(selector).evaluate(
        "form => Object.fromEntries(new FormData(form).entries())"
    )


def test_staff_approve_a_credit_above_the_limit_and_the_ledger_changes(
    page, console, sms, console_stack
):
    entry_id = credit_over_the_limit(console_stack, "p-g1-red-1")
    before = ledger(console_stack, "p-g1-red-1")
    signed_in(page, console, sms, STAFF_3)
    figure = page.locator("#figure-hours")
    expect(figure).to_have_attribute("href", "/hours")
    assert int(figure.locator("strong").inner_text().rstrip("+")) >= 1
    page.get_by_role("link", name="志愿时长").first.click()
    item = waiting_item(page, entry_id)
    expect(item.locator(".credited")).to_have_text("5.00 h")
    page.screenshot(path=str(SCREENSHOTS / "console-hours-queue.png"), full_page=True)

    item.get_by_label("核定时长").fill("4.1")  # not a whole quarter: roster refuses it
    item.get_by_role("button", name="批准").click()
    expect(page.locator(".field-error")).to_contain_text("0.25")
    assert ledger(console_stack, "p-g1-red-1")["pending_minutes"] == before["pending_minutes"]

    item = waiting_item(page, entry_id)
    item.get_by_label("核定时长").fill("4.5")
    item.get_by_label("备注").fill("核实为4.5小时")
    item.get_by_role("button", name="批准").click()
    expect(page.locator("#done")).to_contain_text("已批准")
    expect(waiting_item(page, entry_id)).to_have_count(0)
    after = ledger(console_stack, "p-g1-red-1")
    assert after["balance_minutes"] == before["balance_minutes"] + 270
    assert after["pending_minutes"] == before["pending_minutes"] - 300

    page.goto(f"{console}/hours/people/p-g1-red-1")
    expect(page.locator("#ledger-balance")).to_have_text(f"{after['total']:.2f} h")
    expect(page.locator(f"[id='entry-{entry_id}:decision']")).to_contain_text("4.50")
    page.screenshot(path=str(SCREENSHOTS / "console-hours-ledger.png"), full_page=True)


def test_staff_reject_a_credit_with_a_note(page, console, sms, console_stack):
    entry_id = credit_over_the_limit(console_stack, "p-g1-red-2")
    signed_in(page, console, sms, STAFF_3)
    page.goto(f"{console}/hours")
    item = waiting_item(page, entry_id)
    item.get_by_role("button", name="驳回").click()  # no note: the browser asks for one
    expect(page.locator("#done")).to_have_count(0)
    item.get_by_label("驳回说明").fill("调解记录不全")
    item.get_by_role("button", name="驳回").click()
    expect(page.locator("#done")).to_contain_text("已驳回")
    entries = {e["entry_id"]: e for e in ledger(console_stack, "p-g1-red-2")["entries"]}
    decision = entries[f"{entry_id}:decision"]
    assert (decision["minutes"], decision["note"]) == (0, "调解记录不全")
    assert ledger(console_stack, "p-g1-red-2")["pending_minutes"] == 0


def test_a_correction_sent_twice_makes_one_entry(page, console, sms, console_stack):
    signed_in(page, console, sms, STAFF)
    page.goto(f"{console}/hours/people/p-g1-red-3")
    reason = f"=补录巡逻 {uuid.uuid4().hex[:6]}"  # a formula-like start, for the CSV below
    page.get_by_label("更正时长").fill("1.25")
    page.get_by_label("原因").fill(reason)
    sent = form_data(page, "#form-correction")
    page.get_by_role("button", name="更正时长").click()
    expect(page.locator("#done")).to_contain_text("已更正")
    again = page.request.post(
        f"{console}/hours/people/p-g1-red-3/corrections", form=sent, max_redirects=0
    )
    assert again.status == 303  # the same form again: roster answers the same entry
    made = [e for e in ledger(console_stack, "p-g1-red-3")["entries"] if e["note"] == reason]
    assert [(e["kind"], e["minutes"]) for e in made] == [("correction", 75)]
    page.reload()
    expect(page.locator("#ledger")).to_contain_text(reason)

    page.get_by_label("更正时长").fill("0.3")  # bad input: the field's error, nothing made
    page.get_by_label("原因").fill("试试")
    page.get_by_role("button", name="更正时长").click()
    expect(page.locator("#correction-hours-error")).to_be_visible()
    assert not [e for e in ledger(console_stack, "p-g1-red-3")["entries"] if e["note"] == "试试"]

    with page.expect_download() as download:
        page.goto(f"{console}/hours")
        page.locator("#export-entries").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    assert download.value.suggested_filename == f"hours-{COMMUNITY}-entries.csv"
    (row,) = [r for r in rows if r["note"].endswith(reason)]
    assert (row["note"], row["minutes"]) == ("'" + reason, "75")  # neutralised by roster


def next_monday() -> date:
    today = datetime.now(CHANGSHA).date()
    return today + timedelta(days=7 - today.weekday())


def test_leave_entered_in_the_week_shows_there_in_roster_and_as_the_gap_rota_check_reports(
    page, console, sms, console_stack
):
    monday = next_monday()
    tuesday = monday + timedelta(days=1)
    signed_in(page, console, sms, STAFF)
    page.goto(f"{console}/rota?grid=jingxiang-g2&team=green_vests&week={monday}")
    expect(page.locator("#rota-no-gaps")).to_be_visible()
    form = page.locator("#form-leave")
    form.get_by_label("人员").select_option("p-g2-green-2")
    form.get_by_label("开始").fill(f"{tuesday}T16:00")  # ends before it starts: refused
    form.get_by_label("结束").fill(f"{tuesday}T08:00")
    form.get_by_role("button", name="登记请假").click()
    expect(page.locator("#leave-end-error")).to_be_visible()
    person = roster(console_stack, "/v1/people/p-g2-green-2").json()
    assert not person.get("leave")

    form = page.locator("#form-leave")
    form.get_by_label("人员").select_option("p-g2-green-2")
    form.get_by_label("开始").fill(f"{tuesday}T08:00")
    form.get_by_label("结束").fill(f"{tuesday}T16:00")
    form.get_by_label("原因").fill("体检")
    form.get_by_role("button", name="登记请假").click()
    expect(page.locator("#done")).to_contain_text("已登记请假")
    expect(page.locator("#rota-leave")).to_contain_text("体检")
    (leave,) = roster(console_stack, "/v1/people/p-g2-green-2").json()["leave"]
    assert datetime.fromisoformat(leave["start"]) == datetime.combine(
        tuesday, datetime.min.time().replace(hour=8), tzinfo=CHANGSHA
    )
    start = datetime.combine(monday, datetime.min.time(), tzinfo=CHANGSHA)
    checked = roster(console_stack, "/v1/rota-check", community_id=COMMUNITY,
                     **{"from": start.isoformat()}, days=7).json()  # fmt: skip
    (gap,) = [
        g for g in checked["gaps"] if (g["grid_id"], g["team"]) == ("jingxiang-g2", "green_vests")
    ]
    shown = datetime.fromisoformat(gap["start"]).astimezone(CHANGSHA).strftime("%Y-%m-%d %H:%M")
    expect(page.locator("#rota-gaps")).to_contain_text(shown)
    expect(page.locator(f"#day-{tuesday} .gap")).to_contain_text("08:00–16:00")
    expect(page.locator(f"#day-{tuesday} .away")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "console-rota-week.png"), full_page=True)

    page.locator("#rota-leave button").click()  # withdrawn: the gap closes
    expect(page.locator("#done")).to_contain_text("已撤销请假")
    expect(page.locator("#rota-no-gaps")).to_be_visible()
    assert not roster(console_stack, "/v1/people/p-g2-green-2").json().get("leave")

    wednesday = monday + timedelta(days=2)  # a cover: green-3 takes green-1's night
    form = page.locator("#form-cover")
    form.get_by_label("上岗人员").select_option("p-g2-green-3")
    form.get_by_label("替谁").select_option("p-g2-green-1")
    form.get_by_label("开始").fill(f"{wednesday}T00:00")
    form.get_by_label("结束").fill(f"{wednesday}T08:00")
    form.get_by_role("button", name="登记替班或加班").click()
    expect(page.locator("#done")).to_contain_text("已登记替班或加班")
    expect(page.locator(f"#day-{wednesday} .change-cover")).to_contain_text("00:00–08:00")
    night = page.locator(f"#day-{wednesday} .shift").first
    expect(night.locator(".away")).to_have_count(1)  # green-1, covered
    expect(page.locator("#rota-no-gaps")).to_be_visible()
    page.locator("#rota-covers button").click()
    expect(page.locator("#done")).to_contain_text("已撤销替班或加班")
    expect(page.locator(f"#day-{wednesday} .change-cover")).to_have_count(0)


def test_a_grid_worker_reads_but_cannot_approve_or_edit_and_other_grids_are_404(
    page, console, sms, console_stack
):
    entry_id = credit_over_the_limit(console_stack, "p-g1-red-4")
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in(page, console, sms, GRID_WORKER)
    for path, name in (("/rota", "rota-phone"), ("/hours", "hours-phone")):
        page.goto(f"{console}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
        page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)
    expect(waiting_item(page, entry_id)).to_be_visible()
    expect(waiting_item(page, entry_id).locator("form")).to_have_count(0)
    csrf = page.locator("header input[name=csrf]").first.input_value()
    refused = page.request.post(
        f"{console}/hours/{entry_id}/approve", form={"csrf": csrf, "note": "x"}, max_redirects=0
    )
    assert refused.status == 403  # roster's rule: staff only
    waiting = roster(console_stack, "/v1/hours/waiting", community_id=COMMUNITY, limit=200).json()
    assert entry_id in [e["entry_id"] for e in waiting["entries"]]  # nothing decided

    page.goto(f"{console}/rota")
    expect(page.locator("#rota-grid")).to_have_value("jingxiang-g1")
    expect(page.locator("#form-leave")).to_have_count(0)
    answer = page.goto(f"{console}/rota?grid=jingxiang-g2")
    assert answer is not None and answer.status == 404
    monday = next_monday()
    leave = page.request.post(f"{console}/rota/leave", form={
        "csrf": csrf, "grid_id": "jingxiang-g1", "team": "grid_workers", "week": str(monday),
        "person_id": "p-g1-gw-2", "start": f"{monday}T08:00", "end": f"{monday}T12:00",
    }, max_redirects=0)  # fmt: skip
    assert leave.status == 403  # roster: staff and grid leaders only
    assert not roster(console_stack, "/v1/people/p-g1-gw-2").json().get("leave")


def test_a_grid_leader_changes_no_rota_of_another_grid_and_reads_the_week_in_english(
    page, console, sms, console_stack
):
    """Roster lets a grid leader enter leave and covers anywhere in the community; the
    console keeps them to the rotas and people of their own grids (404, as for a record
    they may not see), and roster is never asked."""
    monday = next_monday()
    signed_in(page, console, sms, GRID_LEADER)
    page.goto(f"{console}/rota?team=green_vests&week={monday}")
    expect(page.locator("#form-leave")).to_be_visible()  # theirs to edit
    csrf = page.locator("#form-leave input[name=csrf]").input_value()
    week = {"csrf": csrf, "grid_id": "jingxiang-g1", "team": "green_vests", "week": str(monday),
            "start": f"{monday}T08:00", "end": f"{monday}T12:00"}  # fmt: skip
    for path, form in (
        ("/rota/leave", {**week, "person_id": "p-g2-green-1"}),
        ("/rota/cover", {**week, "rota_id": "jingxiang-g2:green_vests", "kind": "extra",
                         "person_id": "p-g2-green-1"}),
        ("/rota/cover", {**week, "rota_id": "jingxiang-g1:green_vests", "kind": "cover",
                         "person_id": "p-g1-green-1", "replaces": "p-g2-green-1"}),
    ):  # fmt: skip
        answer = page.request.post(f"{console}{path}", form=form, max_redirects=0)
        assert answer.status == 404, (path, form)
    assert not roster(console_stack, "/v1/people/p-g2-green-1").json().get("leave")
    start = datetime.combine(monday, datetime.min.time(), tzinfo=CHANGSHA)
    checked = roster(console_stack, "/v1/rota-check", community_id=COMMUNITY,
                     **{"from": start.isoformat()}, days=7).json()  # fmt: skip
    assert not [g for g in checked["gaps"] if g["grid_id"] == "jingxiang-g2"]

    page.context.add_cookies([{"name": "lx_lang", "value": "en", "url": console}])
    page.goto(f"{console}/rota?team=green_vests&week={monday}")
    expect(page.get_by_role("heading", name="Rota", exact=True)).to_be_visible()
    expect(page.locator("#rota-no-gaps")).to_have_text("No gaps this week.")
    expect(page.get_by_role("button", name="Record leave")).to_be_visible()
    page.context.clear_cookies(name="lx_lang")


def test_forms_without_their_csrf_token_and_gets_change_nothing(page, console, sms, console_stack):
    entry_id = credit_over_the_limit(console_stack, "p-g3-red-1")
    signed_in(page, console, sms, STAFF_3)
    for path in (
        f"/hours/{entry_id}/approve",
        "/rota/leave",
        "/hours/people/p-g3-red-1/corrections",
    ):
        forged = page.request.post(f"{console}{path}", form={"note": "x"}, max_redirects=0)
        assert forged.status == 403, path
        fetched = page.request.get(f"{console}{path}", max_redirects=0)  # a link scanner
        assert fetched.status == 405, path
    waiting = roster(console_stack, "/v1/hours/waiting", community_id=COMMUNITY, limit=200).json()
    assert entry_id in [e["entry_id"] for e in waiting["entries"]]
    assert not [
        e for e in ledger(console_stack, "p-g3-red-1")["entries"] if e["kind"] == "correction"
    ]
