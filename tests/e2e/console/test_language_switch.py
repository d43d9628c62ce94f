"""The language switch on a page a POST answered, in a real browser at a phone's 375×667:
the scan-to-report page's code step (the answer to asking for a code) and a volunteer's
confirm page (the answer to "accept…") each return to the nearest page a GET opens, in
English, answering 200 rather than the POST-only path's 405; and the switch acts on
nothing (no code sent again, the case not accepted). The resident's step starts again at
the community's page: what the code step's form held is not carried back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.console.browser import (
    COMMUNITY,
    PHONE_VIEWPORT,
    SCREENSHOTS,
    VOLUNTEER,
    codes_so_far,
    requests_case,
    seed_volunteers,
    signed_in,
)
from tests.e2e.console.test_scan_to_report import code_asked_in_browser, new_phone
from tests.e2e.console.test_volunteer_cases import assigned

pytestmark = pytest.mark.e2e


def switched_to_english(page: Page, returns_to: str) -> Response:
    """Press the switch; the answer of the page it returns to (a GET)."""
    with page.expect_response(
        lambda answer: answer.request.method == "GET" and answer.url.startswith(returns_to)
    ) as returned:
        page.get_by_role("button", name="English").click()
    expect(page).to_have_url(returns_to)
    return returned.value


def test_the_switch_on_the_scan_to_report_code_step_returns_to_the_community_s_page(
    page: Page, console, sms
):
    code_asked_in_browser(page, console, sms, new_phone())  # the one code, arrived
    page.screenshot(path=str(SCREENSHOTS / "console-polish-report-code-step.png"), full_page=True)
    sent = codes_so_far(sms)

    returned = switched_to_english(page, f"{console}/r/report/{COMMUNITY}")
    assert returned.status == 200
    expect(page.get_by_role("heading", name="Report a problem")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert codes_so_far(sms) == sent, "no code asked for again"


def test_the_switch_on_a_volunteer_s_confirm_page_returns_to_the_case_unaccepted(
    page: Page, console, sms, console_stack, mongo_client, tmp_path
):
    seed_volunteers(console_stack, mongo_client, tmp_path)
    case = assigned(console_stack, "楼下车堵了消防通道 language switch")
    page.set_viewport_size(PHONE_VIEWPORT)
    signed_in(page, console, sms, VOLUNTEER)
    page.goto(f"{console}/my/cases/{case['id']}")
    page.get_by_role("button", name="接单…").click()
    expect(page.locator("#confirm-what")).to_contain_text("此案件由您承办")
    page.screenshot(path=str(SCREENSHOTS / "console-polish-confirm.png"), full_page=True)
    before = requests_case(console_stack, case["id"])

    returned = switched_to_english(page, f"{console}/my/cases/{case['id']}")
    assert returned.status == 200
    expect(page.get_by_role("button", name="Accept…")).to_be_visible()
    expect(page.locator("#case-state")).to_have_attribute("data-state", "dispatched")
    after = requests_case(console_stack, case["id"])
    assert (after["state"], after["version"], len(after["timeline"])) == (
        before["state"], before["version"], len(before["timeline"]),
    )  # fmt: skip
    assert "accept" not in [step["action"] for step in after["timeline"]]
