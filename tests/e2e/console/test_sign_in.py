"""Signing in to the console in a real browser: the code from the phone, by keyboard alone,
five wrong codes, the session's cookie, and every page but sign-in needing a session."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.console.browser import (
    GRID_WORKER,
    SCREENSHOTS,
    STAFF,
    STAFF_3,
    STAFF_4,
    ask_for_code,
    code_for,
    report,
    sent_so_far,
    sign_in,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_staff_sign_in_with_the_code_from_the_sink_and_see_the_home_page(
    page, console, sms, console_stack, mongo_client
):
    page.goto(f"{console}/sign-in")
    expect(page).to_have_title(re.compile("登录"))
    page.screenshot(path=str(SCREENSHOTS / "console-sign-in.png"), full_page=True)
    sign_in(page, console, sms)
    cookie = next(c for c in page.context.cookies() if c["name"] == "lx_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    for figure in ("today", "month", "triage", "verification", "overdue", "extensions"):
        expect(page.locator(f"#figure-{figure}")).to_be_visible()
    expect(page.locator("#figures")).to_have_attribute("hx-trigger", re.compile(r"every \d+s"))
    expect(page.get_by_text("Asia/Shanghai")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-home.png"), full_page=True)
    # new work appears without a reload: htmx swaps the figures in (as its poll does)
    waiting = int(page.locator("#figure-triage strong").inner_text())
    page.evaluate("window.notReloaded = true")
    report(console_stack, "楼下有个东西不知道是什么 something left downstairs")

    def polled() -> bool:  # as htmx's poll does, until the board has folded the report in
        page.evaluate("htmx.ajax('GET', '/home/figures', '#figures')")
        page.wait_for_load_state("networkidle")
        return page.locator("#figure-triage strong").inner_text() == str(waiting + 1)

    wait_until("the new case in the triage figure", polled, timeout=20)
    assert page.evaluate("window.notReloaded") is True
    # each figure is a link to its list
    page.locator("#figure-today").click()
    expect(page.get_by_role("heading", name="今日受理")).to_be_visible()
    expect(page.locator("#list-today")).to_contain_text("楼下有个东西")
    page.go_back()
    # notify kept the delivery, the code masked; the console kept no number and no code
    database = mongo_client[f"{console_stack.db_prefix}notify"]["deliveries"]
    kept = list(database.find({"kind": "sign_in_code"}))
    assert kept and all("******" in d["message"]["short"] for d in kept)
    assert not any(re.search(r"验证码为 \d{6}", str(d)) for d in kept)
    stored = str(list(mongo_client[f"{console_stack.db_prefix}console"]["sign_in_codes"].find()))
    assert STAFF[1] not in stored
    # English, by the switch
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def test_sign_in_by_keyboard_alone(page, console, sms):
    before = sent_so_far(sms)
    page.goto(f"{console}/sign-in")
    expect(page.locator("#phone")).to_be_focused()  # the form takes the focus
    page.keyboard.type(STAFF_3[1])
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="获取验证码")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#code")).to_be_focused()  # then the code field
    page.keyboard.type(code_for(sms, STAFF_3[1], before))
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    page.keyboard.press("Tab")  # the first stop on every page skips to its content
    expect(page.locator("a.skip")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "console-keyboard.png"), full_page=True)


def signing_in(answer) -> bool:
    """The answer to the code form's POST."""
    return answer.request.method == "POST" and answer.url.endswith("/sign-in")


def test_signing_in_takes_three_round_trips_and_lands_on_the_home_page_at_its_address(
    page, console, sms
):
    """The phone form, the code form, and the code's POST answered with the home page
    itself (htmx posts it and puts `/` in the address bar): no redirect to wait for."""
    asked: list[str] = []
    page.on(
        "request",
        lambda request: asked.append(f"{request.method} {request.url}")
        if "/static/" not in request.url
        else None,
    )
    before = sent_so_far(sms)
    ask_for_code(page, console, STAFF_4[1])
    page.get_by_label("短信验证码").fill(code_for(sms, STAFF_4[1], before))
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    assert page.url == f"{console}/"
    assert asked == [
        f"GET {console}/sign-in",
        f"POST {console}/sign-in/code",
        f"POST {console}/sign-in",
    ], asked
    assert any(c["name"] == "lx_session" and c["httpOnly"] for c in page.context.cookies())
    page.reload()  # the address is a page of its own: a reload shows it, posts nothing
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def test_five_wrong_codes_lock_the_code(page, console, sms):
    before = sent_so_far(sms)
    ask_for_code(page, console, GRID_WORKER[1])
    code = code_for(sms, GRID_WORKER[1], before)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(5):
        page.get_by_label("短信验证码").fill(wrong)
        with page.expect_response(signing_in) as answer:  # the same words each time: wait
            page.get_by_role("button", name="登录", exact=True).click()
        assert answer.value.status == (403 if attempt == 4 else 401)
        expected = "错误次数过多" if attempt == 4 else "验证码不正确"
        expect(page.locator("#sign-in-message")).to_contain_text(expected)
    page.get_by_label("短信验证码").fill(code)
    with page.expect_response(signing_in):
        page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("#sign-in-message")).to_contain_text("错误次数过多")
    page.screenshot(path=str(SCREENSHOTS / "console-locked.png"), full_page=True)
    assert not any(c["name"] == "lx_session" for c in page.context.cookies())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/home/figures"),
        ("GET", "/triage"),
        ("GET", "/lists/overdue"),
        ("GET", "/cases/x1"),
        ("POST", "/cases/x1/verify"),
        ("POST", "/sign-out"),
    ],
)
def test_every_page_but_sign_in_needs_a_session(console, method, path):
    """The console's pages take no API key: without a session each sends the browser to
    sign in (htmx's requests are told so in a header), and nothing acts."""
    answer = requests.request(method, f"{console}{path}", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in"
    polled = requests.get(f"{console}{path}", headers={"HX-Request": "true"}, timeout=10)
    if method == "GET":
        assert polled.headers.get("HX-Redirect") == "/sign-in"


def test_the_vendored_htmx_is_served_as_checked(console):
    answer = requests.get(f"{console}/static/htmx-2.0.4.min.js", timeout=10)
    assert answer.status_code == 200 and answer.text.startswith("var htmx=")
    assert requests.get(f"{console}/static/../compose.py", timeout=10).status_code == 404
