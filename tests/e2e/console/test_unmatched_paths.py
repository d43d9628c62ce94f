"""A console path no page takes as asked, in a real browser at a phone's 375×667: a
volunteer's confirm path (`/my/cases/<id>/accept`) and a resident's code step
(`/r/report/<community>/code`) opened by GET, as a reload, a bookmark or a link scanner
opens them, are the console's page in the person's language (405, `Allow: POST`) with a
link to the nearest page a GET opens; nothing is done (the case not accepted, no code
sent) and another person's case shows nothing. An unknown path is the 404 page; under
`/v1/` an API client still reads JSON."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.console.browser import (
    COMMUNITY,
    PHONE_VIEWPORT,
    SCREENSHOTS,
    VOLUNTEER,
    codes_so_far,
    report,
    requests_case,
    seed_volunteers,
    signed_in,
)
from tests.e2e.console.test_volunteer_cases import assigned

pytestmark = pytest.mark.e2e


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


def recorded(case: dict) -> tuple:
    return case["state"], case["version"], len(case["timeline"])


def test_a_volunteer_s_accept_path_opened_by_get_returns_to_the_case_unaccepted(
    page: Page, console, sms, console_stack, mongo_client, tmp_path
):
    seed_volunteers(console_stack, mongo_client, tmp_path)
    description = "三楼楼道灯坏了 opened by GET"
    case = assigned(console_stack, description)
    before = requests_case(console_stack, case["id"])
    page.set_viewport_size(PHONE_VIEWPORT)
    signed_in(page, console, sms, VOLUNTEER)

    answer = page.goto(f"{console}/my/cases/{case['id']}/accept")
    assert answer is not None and answer.status == 405
    assert answer.headers["allow"] == "POST"
    expect(page.get_by_role("heading", name="请从页面上操作")).to_be_visible()
    expect(page.get_by_role("link", name="我的案件")).to_be_visible()  # their own header
    assert description not in page.content()
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "console-polish2-volunteer-accept-get.png"),
                    full_page=True)  # fmt: skip

    page.get_by_role("link", name="返回页面").click()
    expect(page).to_have_url(f"{console}/my/cases/{case['id']}")
    expect(page.get_by_role("button", name="接单…")).to_be_visible()
    after = requests_case(console_stack, case["id"])
    assert recorded(after) == recorded(before), "a GET accepted nothing"


def test_another_s_case_path_opened_by_get_says_no_more_than_an_unknown_case_s(
    page: Page, console, sms, console_stack, mongo_client, tmp_path
):
    """The answer is found from the routes' rules: the same for a case that is not the
    volunteer's as for no case at all, and its link opens the case page's own 404."""
    seed_volunteers(console_stack, mongo_client, tmp_path)
    description = "别人的案件 not the volunteer's"
    others = report(console_stack, description)
    signed_in(page, console, sms, VOLUNTEER)

    answers = {}
    for case_id in (others["id"], "LX-NOSUCHCASE"):
        answer = page.goto(f"{console}/my/cases/{case_id}/accept")
        assert answer is not None
        answers[case_id] = (answer.status, answer.headers["allow"],
                            page.locator("main").inner_text().replace(case_id, "…"))  # fmt: skip
        assert description not in page.content()
    assert answers[others["id"]] == answers["LX-NOSUCHCASE"]
    page.get_by_role("link", name="返回页面").click()
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()


def test_a_resident_s_code_step_opened_by_get_sends_no_code_and_switches_language(
    page: Page, console, sms
):
    page.set_viewport_size(PHONE_VIEWPORT)
    sent = codes_so_far(sms)
    answer = page.goto(f"{console}/r/report/{COMMUNITY}/code")
    assert answer is not None and answer.status == 405
    assert answer.headers["allow"] == "POST"
    expect(page.get_by_role("heading", name="请从页面上操作")).to_be_visible()
    expect(page.locator("#unmatched-back")).to_have_attribute("href", f"/r/report/{COMMUNITY}")
    expect(page.locator("header nav a")).to_have_count(0)  # signed out: no staff's links
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "console-polish2-resident-code-get.png"),
                    full_page=True)  # fmt: skip

    page.get_by_role("button", name="English").click()  # the switch's token: its cookie
    expect(page).to_have_url(f"{console}/r/report/{COMMUNITY}")
    expect(page.get_by_role("heading", name="Report a problem")).to_be_visible()
    page.goto(f"{console}/r/report/{COMMUNITY}/code")
    expect(page.get_by_role("heading", name="Act from the page")).to_be_visible()
    assert codes_so_far(sms) == sent, "a GET sent no code"


def test_an_unknown_path_is_the_console_s_404_page(page: Page, console):
    page.set_viewport_size(PHONE_VIEWPORT)
    answer = page.goto(f"{console}/no/such/page")
    assert answer is not None and answer.status == 404
    assert "allow" not in answer.headers
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()
    expect(page.locator("#unmatched-back")).to_have_attribute("href", "/")
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "console-polish2-unknown.png"), full_page=True)


def test_api_clients_still_read_json_under_v1(console):
    """What the console's API (`/v1/openapi.json`) and probes answer is unchanged: an
    unknown `/v1/` path, any method, is the JSON 404 every service answers."""
    for method in ("GET", "POST", "DELETE"):
        answer = requests.request(method, f"{console}/v1/no-such-thing", timeout=10)
        assert answer.status_code == 404
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.json()["error"]["code"] == "not_found"
    document = requests.get(f"{console}/v1/openapi.json", timeout=10)
    assert document.status_code == 200 and "paths" in document.json()
    assert requests.get(f"{console}/livez", timeout=10).json()["status"] == "alive"
    scanner = requests.get(f"{console}/cases/LX-1/assign", timeout=10)  # staff's form path
    assert (scanner.status_code, scanner.headers["Allow"]) == (405, "POST")
    assert scanner.headers["Content-Type"].startswith("text/html")
