"""Every staff action on a case's page, in a real browser, against the real services: merge,
an extension a volunteer asked for, suspend and resume, reopen, withdraw, a note, triage
with a place picked; and the attacks — another grid's case posted to directly, the same
form posted twice, a form sent after the case moved on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from scripts.stack import Stack
from services.console.http.case_forms import ACTION_FORMS
from tests.conftest import RUN_ID
from tests.e2e.conftest import helper_headers, wait_for_state
from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_WORKER,
    SCREENSHOTS,
    STAFF,
    STAFF_3,
    close,
    person_headers,
    report,
    requests_case,
    signed_in,
    volunteer_headers,
)

pytestmark = pytest.mark.e2e
# each form's fields besides its csrf token and key
FIELDS = {
    "triage": ("category",), "assign": (), "verify": (), "extension": (), "suspend": ("reason",),
    "resume": (), "merge": ("into",), "reject": ("reason",), "reopen": ("reason",),
    "withdraw": ("reason",), "note": ("note",),
}  # fmt: skip
# a reopened case, or what roster's new offer (or its escalation) made of it since
AFTER_REOPENING = re.compile(r"^(reopened|dispatched|escalated)$")
CATEGORY = "parking.fire_lane"  # its team is on duty in every grid of the sample, all day


def cases_post(stack: Stack, case_id: str, action: str, body: dict, headers: dict) -> dict:
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases/{case_id}/{action}", json=body, headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def accepted(stack: Stack, description: str) -> tuple[dict, dict]:
    """A case cases' keywords map to the fire lane (a team on duty in every grid of the
    sample, all day), offered by roster and accepted by the volunteer: the case and the
    volunteer's headers."""
    case = report(stack, description)
    assignee = wait_for_state(stack, case["id"], "dispatched")["assignee"]
    volunteer = volunteer_headers(stack, assignee)
    return cases_post(stack, case["id"], "accept", {}, volunteer), volunteer


def staff_app(stack: Stack) -> dict[str, str]:
    if not hasattr(stack, "staff_app"):
        stack.staff_app = person_headers(stack, STAFF[0], "staff")
    return stack.staff_app


def open_case(page: Page, console: str, case_id: str) -> None:
    page.goto(f"{console}/cases/{case_id}")


def session_cookies(page: Page) -> dict[str, str]:
    return {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}


def test_merge_a_duplicate_into_the_case_it_repeats(page, console, sms, console_stack):
    original = report(console_stack, "门口有个东西挡着，说不清 merge original")
    duplicate = report(console_stack, "门口有个东西挡着 merge duplicate")
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, duplicate["id"])
    page.get_by_label("目标案件编号").fill("JX-NO-SUCH-1")
    page.get_by_role("button", name="合并到另一案件").click()
    expect(page.locator("#refused")).to_contain_text("没有这个案件")
    assert requests_case(console_stack, duplicate["id"])["state"] == "reported"
    page.get_by_label("目标案件编号").fill(original["number"])
    page.get_by_role("button", name="合并到另一案件").click()
    expect(page.locator("#done")).to_contain_text("已合并")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "merged")
    expect(page.locator("ol.timeline")).to_contain_text(f"与 {original['number']} 重复")
    assert requests_case(console_stack, original["id"])["duplicates"] == 1
    page.screenshot(path=str(SCREENSHOTS / "console-actions-merged.png"), full_page=True)


def test_approve_an_extension_the_volunteer_asked_for(page, console, sms, console_stack):
    case, volunteer = accepted(console_stack, "消防通道被车堵了 extension please")
    until = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    asked = {"until": until.isoformat(), "reason": "等待配件到货"}
    cases_post(console_stack, case["id"], "extension", asked, volunteer)
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, case["id"])
    form = page.locator("#form-extension")
    expect(form).to_contain_text("等待配件到货")
    local = until.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    expect(form.locator("#extension-until")).to_contain_text(local)
    page.screenshot(path=str(SCREENSHOTS / "console-actions-extension.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # the most forms, on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "console-actions-phone.png"), full_page=True)
    form.get_by_role("button", name="批准延期").click()
    expect(page.locator("#done")).to_contain_text("已处理延期申请")
    shown = requests_case(console_stack, case["id"])
    assert shown["extension"]["state"] == "approved"
    assert datetime.fromisoformat(shown["resolve_by"]) == until
    expect(page.locator("#form-extension")).to_have_count(0)
    expect(page.locator("ol.timeline")).to_contain_text("延期已批准")


def test_suspend_and_resume(page, console, sms, console_stack):
    case, _ = accepted(console_stack, "消防通道被车堵了 suspend me")
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, case["id"])
    page.locator("#suspend-reason").fill("等待交警到场")
    page.get_by_role("button", name="挂起").click()
    expect(page.locator("#done")).to_contain_text("已挂起")
    expect(page.locator("#case-suspended")).to_be_visible()
    assert requests_case(console_stack, case["id"])["suspended"] is True
    expect(page.locator("#form-suspend")).to_have_count(0)
    page.get_by_role("button", name="恢复办理").click()
    expect(page.locator("#done")).to_contain_text("已恢复办理")
    expect(page.locator("#case-suspended")).to_have_count(0)
    assert requests_case(console_stack, case["id"])["suspended"] is False


def test_reopen_a_closed_case(page, console, sms, console_stack):
    case, volunteer = accepted(console_stack, "消防通道被车堵了 reopen me")
    cases_post(console_stack, case["id"], "resolve", {"resolution": "车已挪走"}, volunteer)
    cases_post(console_stack, case["id"], "verify", {}, staff_app(console_stack))
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, case["id"])
    expect(page.locator("#case-state")).to_have_attribute("data-state", "closed")
    page.locator("#reopen-reason").fill("居民反映车又停回来了")
    page.get_by_role("button", name="重办").click()
    expect(page.locator("#done")).to_contain_text("已重办")
    # roster offers a reopened case again at once: the page may already show what followed
    expect(page.locator("#case-state")).to_have_attribute("data-state", AFTER_REOPENING)
    expect(page.locator("ol.timeline li", has_text="居民反映车又停回来了")).to_have_count(1)
    stored = requests_case(console_stack, case["id"])
    assert stored["reopen_count"] == 1
    assert [s["action"] for s in stored["timeline"]].count("reopen") == 1


def test_withdraw_and_a_form_sent_after_the_case_moved_on_is_refused_readably(
    page, console, sms, console_stack
):
    case = report(console_stack, "居民说已经自己处理了 withdraw me")
    signed_in(page, console, sms, STAFF_3)
    stale = page.context.new_page()
    open_case(stale, console, case["id"])  # a second tab, opened before the withdrawal
    open_case(page, console, case["id"])
    page.locator("#withdraw-reason").fill("居民来电撤回")
    page.get_by_role("button", name="撤回").click()
    expect(page.locator("#done")).to_contain_text("已撤回")
    assert requests_case(console_stack, case["id"])["state"] == "withdrawn"
    stale.locator("#reject-reason").fill("不属于本社区")
    with stale.expect_response(f"{console}/cases/{case['id']}/reject") as answer:
        stale.get_by_role("button", name="退单").click()
    assert answer.value.status == 409
    expect(stale.locator("#refused")).to_contain_text("已撤回")
    stale.screenshot(path=str(SCREENSHOTS / "console-actions-refused.png"), full_page=True)
    close(stale)
    assert requests_case(console_stack, case["id"])["state"] == "withdrawn"


def test_a_note_shows_in_the_timeline_and_an_empty_one_is_refused(
    page, console, sms, console_stack
):
    case = report(console_stack, "需要跟进的情况 note me")
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, case["id"])
    page.locator("#note-text").evaluate("area => area.removeAttribute('required')")
    with page.expect_response(f"{console}/cases/{case['id']}/note") as answer:
        page.get_by_role("button", name="添加跟进记录").click()
    assert answer.value.status == 400
    expect(page.locator("#error-note-note")).to_be_visible()
    page.get_by_label("记录内容").fill("已电话联系报告人，明早上门")
    page.get_by_role("button", name="添加跟进记录").click()
    expect(page.locator("#done")).to_contain_text("已添加跟进记录")
    expect(page.locator("ol.timeline")).to_contain_text(
        "跟进记录 → 已上报 · 已电话联系报告人，明早上门"
    )
    page.screenshot(path=str(SCREENSHOTS / "console-actions-note.png"), full_page=True)
    page.get_by_role("button", name="English").click()
    expect(page.locator("ol.timeline")).to_contain_text("note → reported")
    expect(page.get_by_role("button", name="Add a note")).to_be_visible()


def test_triage_with_a_place_picked_dispatches_in_that_grid(page, console, sms, console_stack):
    """The queue and the case say the categories cases suggests (消防通道 without a car
    is the fire lane's half); the place picked moves the case to its grid."""
    case = report(console_stack, "消防通道那里有情况 somewhere in grid two", grid="jingxiang-g2")
    assert case["triage"]["suggestions"][0] == CATEGORY
    areas = requests.get(
        f"{console_stack.url('cases')}/v1/areas/{COMMUNITY}",
        headers=helper_headers(console_stack),
        timeout=10,
    ).json()["areas"]
    unit = next(a for a in areas if a["kind"] == "unit" and a["grid_id"] == "jingxiang-g1")
    signed_in(page, console, sms, STAFF_3)
    page.goto(f"{console}/triage")
    row = page.locator("#triage-queue tbody tr", has_text=case["number"])
    expect(row.locator(".suggested")).to_contain_text("车辆占用消防通道")
    open_case(page, console, case["id"])
    expect(page.locator("#suggested")).to_contain_text("车辆占用消防通道")
    expect(page.get_by_label("类别")).to_have_value(CATEGORY)  # the first suggestion, chosen
    page.get_by_label("地点（网格 → 楼栋 → 单元）").select_option(f"area:{unit['code']}")
    page.screenshot(path=str(SCREENSHOTS / "console-actions-triage.png"), full_page=True)
    page.get_by_role("button", name="分类并派遣").click()
    expect(page.locator("#done")).to_contain_text("已分类")
    expect(page.locator("#case-grid")).to_have_text("jingxiang-g1")
    dispatched = wait_for_state(console_stack, case["id"], "dispatched")
    assert dispatched["grid_id"] == "jingxiang-g1"
    assert dispatched["location"]["area_code"] == unit["code"]


def test_a_grid_worker_cannot_act_on_another_grids_case_by_posting_the_form(
    page, console, sms, console_stack
):
    mine = report(console_stack, "一网格的情况 mine", grid="jingxiang-g1")
    theirs = report(console_stack, "二网格的情况 theirs", grid="jingxiang-g2")
    signed_in(page, console, sms, GRID_WORKER)
    open_case(page, console, mine["id"])
    csrf = page.locator("#form-note input[name=csrf]").input_value()
    key = page.locator("#form-note input[name=form_key]").input_value()
    for action, field in (("note", "note"), ("triage", "category"), ("withdraw", "reason")):
        answer = requests.post(
            f"{console}/cases/{theirs['id']}/{action}",
            data={"csrf": csrf, "form_key": key, field: "facility.lighting"},
            cookies=session_cookies(page),
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 404, (action, answer.status_code)
    after = requests_case(console_stack, theirs["id"])
    assert after["state"] == "reported" and after["version"] == theirs["version"]


def test_a_form_posted_twice_acts_once(page, console, sms, console_stack):
    case = report(console_stack, "双击提交的表单 twice")
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, case["id"])
    form = {
        "csrf": page.locator("#form-note input[name=csrf]").input_value(),
        "form_key": page.locator("#form-note input[name=form_key]").input_value(),
        "note": "只记一次",
    }
    answers = [
        requests.post(
            f"{console}/cases/{case['id']}/note",
            data=form,
            cookies=session_cookies(page),
            allow_redirects=False,
            timeout=10,
        )
        for _ in range(2)
    ]
    assert [answer.status_code for answer in answers] == [303, 303]
    notes = [step for step in requests_case(console_stack, case["id"])["timeline"]
             if step["action"] == "note"]  # fmt: skip
    assert [step["note"] for step in notes] == ["只记一次"]
    open_case(page, console, case["id"])
    expect(page.locator("ol.timeline li", has_text="只记一次")).to_have_count(1)


def post_form(page: Page, console: str, case_id: str, action: str, data: dict):
    return requests.post(
        f"{console}/cases/{case_id}/{action}",
        data=data,
        cookies=session_cookies(page),
        allow_redirects=False,
        timeout=10,
    )


def test_forged_replayed_and_scanned_forms_change_nothing(page, console, sms, console_stack):
    """No CSRF token: 403 for every action; no form key: the page again, 400, with the
    refusal said; a link scanner's GET of every action's address; another community's
    case posted to with a good form: 404. The case's version never moves."""
    case = report(console_stack, "伪造的表单 forged forms")
    elsewhere = report(console_stack, "别的社区 forged elsewhere", community=f"cx-{RUN_ID}")
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, case["id"])
    csrf = page.locator("#form-note input[name=csrf]").input_value()
    key = page.locator("#form-note input[name=form_key]").input_value()
    full = {"form_key": key, "note": "x", "reason": "x", "category": CATEGORY, "into": "x"}
    for action in ACTION_FORMS:
        fields = {name: full[name] for name in ("form_key", *FIELDS[action])}
        assert post_form(page, console, case["id"], action, fields).status_code == 403, action
        assert page.goto(f"{console}/cases/{case['id']}/{action}").status == 405, action
    unkeyed = post_form(page, console, case["id"], "note", {"csrf": csrf, "note": "无钥匙"})
    assert unkeyed.status_code == 400 and 'id="refused"' in unkeyed.text
    good = {"csrf": csrf, "form_key": key, "note": "别的社区"}
    assert post_form(page, console, elsewhere["id"], "note", good).status_code == 404
    assert requests_case(console_stack, case["id"])["version"] == case["version"]
    assert requests_case(console_stack, elsewhere["id"])["version"] == elsewhere["version"]
    assert [s["action"] for s in requests_case(console_stack, case["id"])["timeline"]] == ["report"]


def test_a_grid_worker_is_refused_a_staff_action_in_words_and_nothing_changes(
    page, console, sms, console_stack
):
    """The form is not shown to a grid worker; posted anyway, cases refuses (403) and the
    page says so."""
    mine = report(console_stack, "一网格的情况 not for a grid worker", grid="jingxiang-g1")
    signed_in(page, console, sms, GRID_WORKER)
    open_case(page, console, mine["id"])
    expect(page.locator("#form-reject")).to_have_count(0)
    form = {
        "csrf": page.locator("#form-note input[name=csrf]").input_value(),
        "form_key": page.locator("#form-note input[name=form_key]").input_value(),
        "reason": "不属于本社区",
    }
    refused = post_form(page, console, mine["id"], "reject", form)
    assert refused.status_code == 403 and "您的角色不能进行此操作" in refused.text
    assert requests_case(console_stack, mine["id"])["state"] == "reported"


def test_a_hotline_order_shows_its_files_escalation_and_the_replies_it_was_sent(
    page, console, sms, console_stack
):
    """An emergency phoned in to 12345 (escalated at once, with its level), a photo as a
    link that loads nothing into the page, and the 退单 the hotline is answered with."""
    answer = requests.post(
        f"{console_stack.url('cases')}/v1/hotline/orders",
        json={
            "order_no": f"HL{RUN_ID}",
            "community_id": COMMUNITY,
            "description": "18栋楼道着火了，有浓烟 hotline fire",
            "location": {"grid_id": "jingxiang-g2"},
            "caller": {"name": "赵六", "phone": "13812340000"},
            "attachments": ["https://photos.example.org/fire-1.jpg"],
        },
        headers=helper_headers(console_stack),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    case = answer.json()
    signed_in(page, console, sms, STAFF_3)
    open_case(page, console, case["id"])
    expect(page.locator("#hotline")).to_contain_text(f"HL{RUN_ID}")
    expect(page.locator("#case-escalation")).to_contain_text("社区工作人员 · 紧急情况（火情）")
    photo = page.locator("#photos a").first
    expect(photo).to_have_attribute("href", "https://photos.example.org/fire-1.jpg")
    expect(photo).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator("body")).not_to_contain_text("13812340000")  # the caller, masked
    page.locator("#reject-reason").fill("属物业管辖，已告知来电人")
    page.get_by_role("button", name="退单").click()
    expect(page.locator("#done")).to_contain_text("已退单")
    expect(page.locator("#hotline")).to_contain_text("退单 · 属物业管辖，已告知来电人")
    page.screenshot(path=str(SCREENSHOTS / "console-actions-hotline.png"), full_page=True)
