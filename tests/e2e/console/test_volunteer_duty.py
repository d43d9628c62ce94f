"""A volunteer's own duty and hours (我的值班, 我的时长) in a real browser at a phone's
375×667: signed in by SMS code, this week's shifts in the community's zone, signing in
and out (roster records each once, however often a form is sent), the calendar feed (a
real iCalendar) and its confirmed reset, the ledger and the household's balance after a
credit. Attacks: a volunteer on the staff's pages, another person's rota or hours named
in a URL or a form, a form without its CSRF token, a GET where a POST acts, a sign-out
from someone off duty; each changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from icalendar import Calendar
from playwright.sync_api import Page, expect

from tests.e2e.conftest import helper_headers
from tests.e2e.console.browser import (
    COMMUNITY,
    SCREENSHOTS,
    VOLUNTEER_DUTY,
    VOLUNTEER_DUTY_HOUSEHOLD,
    signed_in,
    volunteer_headers,
)
from tests.e2e.console.test_duty import credit_over_the_limit, form_data, ledger, roster
from tests.e2e.test_roster_dispatch import case_event, past_morning, publish
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 667}
PERSON_ID = VOLUNTEER_DUTY[0]
ROTA = "jingxiang-g3:green_vests"  # the volunteer's rota
OTHERS_ROTA = "jingxiang-g1:red_vests"  # a rota of another team and grid
NEIGHBOUR, NEIGHBOUR_HOUSEHOLD = "p-g3-green-2", "jingxiang-b34-u1-204"  # of the same rota


@pytest.fixture
def volunteer(page: Page, console: str, sms, console_stack, mongo_client) -> Page:
    """The volunteer signed in, on a phone-sized page."""
    people = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    wait_until(f"the console to know {PERSON_ID}", lambda: people.find_one({"_id": PERSON_ID}))
    page.set_viewport_size(PHONE)
    signed_in(page, console, sms, VOLUNTEER_DUTY)
    return page


def fits_the_phone(page: Page) -> None:
    """No sideways scroll, and every button big enough to tap."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for button in page.locator("main button.big").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, box


def attendance(console_stack, mongo_client, kind: str) -> int:
    """The volunteer's sign-ins or sign-outs as roster recorded them."""
    found = mongo_client[f"{console_stack.db_prefix}roster"]["attendance"]
    return found.count_documents({"person_id": PERSON_ID, "kind": kind})


def open_check_ins(console_stack, mongo_client) -> int:
    kept = mongo_client[f"{console_stack.db_prefix}roster"]["rota_overrides"].find_one(
        {"_id": ROTA}
    ) or {"overrides": []}
    now = datetime.now(UTC)
    return sum(
        1
        for o in kept.get("overrides", [])
        if o["person_id"] == PERSON_ID
        and o["kind"] == "check_in"
        and _aware(o["end"]) > now
    )


def _aware(at) -> datetime:
    at = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_the_week_shows_the_volunteers_shifts_in_the_communitys_zone(volunteer, console):
    volunteer.goto(f"{console}/my/duty")
    expect(volunteer.get_by_role("heading", name="我的值班")).to_be_visible()
    expect(volunteer.locator("#zone")).to_contain_text("Asia/Shanghai")
    shifts = volunteer.locator("#my-shifts li.shift")
    expect(shifts.first).to_be_visible()
    # one eight-hour shift a day on the green vests' rota: each day of the week, theirs
    assert {s.get_attribute("data-rota") for s in shifts.all()} == {ROTA}
    assert 6 <= shifts.count() <= 8, shifts.count()
    expect(volunteer.locator("#feed-how")).to_contain_text("日历")
    fits_the_phone(volunteer)
    screenshot(volunteer, "volunteer-duty-week")
    shown = volunteer.locator("#week-shown").inner_text()
    volunteer.locator("#next-week").click()
    expect(volunteer.locator("#week-shown")).not_to_have_text(shown)
    expect(volunteer.locator("#duty-now")).to_have_count(0)  # signing in is for this week
    volunteer.locator("#previous-week").click()
    expect(volunteer.locator("#week-shown")).to_have_text(shown)
    volunteer.get_by_role("button", name="English").click()
    expect(volunteer.get_by_role("heading", name="My duty")).to_be_visible()
    expect(volunteer.locator("#feed-how")).to_contain_text("Subscribed Calendar")
    volunteer.get_by_role("button", name="中文").click()
    expect(volunteer.get_by_role("heading", name="我的值班")).to_be_visible()


def test_signing_in_and_out_each_record_once_however_often_a_form_is_sent(
    volunteer, console, console_stack, mongo_client
):
    volunteer.goto(f"{console}/my/duty")
    rota = volunteer.locator(f".my-rota[data-rota='{ROTA}']")
    check_in = rota.locator("form[action='/my/duty/check-in']")
    expect(check_in).to_have_count(1)
    ins, outs = (attendance(console_stack, mongo_client, k) for k in ("check_in", "check_out"))
    sent = form_data(volunteer, f".my-rota[data-rota='{ROTA}'] form[action='/my/duty/check-in']")
    # the same form sent twice (a double tap): one sign-in
    for _ in range(2):
        answer = volunteer.request.post(f"{console}/my/duty/check-in", form=sent, max_redirects=0)
        assert answer.status == 303 and answer.headers["location"] == "/my/duty?done=check_in"
    assert attendance(console_stack, mongo_client, "check_in") == ins + 1
    assert open_check_ins(console_stack, mongo_client) == 1
    volunteer.goto(f"{console}/my/duty?done=check_in")
    expect(volunteer.locator("#done")).to_have_text("已签到。")
    expect(rota.locator(".checked-in")).to_contain_text("已签到")
    expect(rota.locator("form[action='/my/duty/check-in']")).to_have_count(0)
    fits_the_phone(volunteer)
    screenshot(volunteer, "volunteer-duty-checked-in")
    # signing out through the page itself
    rota.get_by_role("button", name="签退").click()
    expect(volunteer.locator("#done")).to_have_text("已签退。")
    assert attendance(console_stack, mongo_client, "check_out") == outs + 1
    assert open_check_ins(console_stack, mongo_client) == 0
    expect(rota.get_by_role("button", name="签到")).to_be_visible()


def test_a_refusal_is_said_in_words_and_changes_nothing(
    volunteer, console, console_stack, mongo_client
):
    volunteer.goto(f"{console}/my/duty")
    rota = volunteer.locator(f".my-rota[data-rota='{ROTA}']")
    if rota.get_by_role("button", name="签退").count():  # on a shift now: off duty first
        rota.get_by_role("button", name="签退").click()
        expect(volunteer.locator("#done")).to_have_text("已签退。")
    expect(rota.locator(".off-duty")).to_have_text("未在岗")
    sent = form_data(volunteer, f".my-rota[data-rota='{ROTA}'] form[action='/my/duty/check-in']")
    before = [attendance(console_stack, mongo_client, k) for k in ("check_in", "check_out")]
    # off duty: a sign-out (a form forged from the sign-in's) is refused in words
    answer = volunteer.request.post(f"{console}/my/duty/check-out", form=sent)
    assert answer.status == 409
    assert "你现在不在岗，无需签退" in answer.text()
    # another team's rota: not the volunteer's, "not found" as the APIs answer
    forged = {**sent, "rota_id": OTHERS_ROTA, "form_key": uuid.uuid4().hex}
    answer = volunteer.request.post(f"{console}/my/duty/check-in", form=forged)
    assert answer.status == 404
    # someone else named in the form: an unknown field, refused before anything acts
    answer = volunteer.request.post(
        f"{console}/my/duty/check-in",
        form={**sent, "person_id": NEIGHBOUR, "form_key": uuid.uuid4().hex},
    )
    assert answer.status == 400 and "表单有误" in answer.text()
    # no CSRF token: refused
    no_token = {k: v for k, v in sent.items() if k != "csrf"} | {"form_key": uuid.uuid4().hex}
    answer = volunteer.request.post(f"{console}/my/duty/check-in", form=no_token)
    assert answer.status == 403
    # a link scanner's GET acts never
    assert volunteer.request.get(f"{console}/my/duty/check-in").status == 405
    assert volunteer.request.get(f"{console}/my/duty/feed/reset").status == 405
    after = [attendance(console_stack, mongo_client, k) for k in ("check_in", "check_out")]
    assert after == before


def feed_url(page: Page) -> str:
    return page.locator("#feed-url").input_value()


def test_the_feed_is_a_real_calendar_of_the_shifts_and_a_confirmed_reset_ends_the_old_url(
    volunteer, console
):
    volunteer.goto(f"{console}/my/duty")
    volunteer.locator("#next-week").click()  # a week all ahead: nothing signed in or out
    starts = {
        _aware(s.get_attribute("data-start"))
        for s in volunteer.locator("#my-shifts li.shift").all()
    }
    assert starts
    url = feed_url(volunteer)
    assert url.startswith(f"{console}/feeds/{PERSON_ID}/rota.ics?token=")  # through the console
    assert volunteer.locator("#feed-link").get_attribute("href") == url
    answer = requests.get(url, timeout=10)  # as a calendar app: no session, no key
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    events = {e.decoded("dtstart") for e in calendar.walk("VEVENT")}
    assert starts <= {_aware(at.isoformat()) for at in events}
    # the token names its person: another's id in the URL is nothing
    assert requests.get(url.replace(PERSON_ID, NEIGHBOUR), timeout=10).status_code == 404
    assert requests.get(url[:-3] + "xyz", timeout=10).status_code == 404
    # the reset asks first; leaving it there, or a forged confirmation, changes nothing
    volunteer.locator("#feed-reset").click()
    expect(volunteer.locator("#feed-reset-what")).to_contain_text("旧的订阅地址立即失效")
    fits_the_phone(volunteer)
    confirmed = form_data(volunteer, "form:has(#feed-reset-confirm)")
    no_token = {k: v for k, v in confirmed.items() if k != "csrf"}
    answer = volunteer.request.post(f"{console}/my/duty/feed/reset", form=no_token)
    assert answer.status == 403
    assert requests.get(url, timeout=10).status_code == 200
    volunteer.locator("#feed-reset-confirm").click()
    expect(volunteer.locator("#done")).to_contain_text("已更换订阅地址")
    renewed = feed_url(volunteer)
    assert renewed != url
    # the confirmation sent again (a double tap) resets nothing more
    again = volunteer.request.post(f"{console}/my/duty/feed/reset", form=confirmed,
                                   max_redirects=0)  # fmt: skip
    assert again.status == 303
    volunteer.reload()
    assert feed_url(volunteer) == renewed
    assert requests.get(url, timeout=10).status_code == 404
    assert requests.get(renewed, timeout=10).status_code == 200

def credit(console_stack, hours: int = 1) -> str:
    """A facility repair resolved by the volunteer, `hours` after accepting: credited by the
    community's rule. Returns its entry id once the ledger holds it."""
    case_id = f"LX-E2E-{uuid.uuid4().hex[:10].upper()}"
    morning = past_morning(hours, local_hour=10)
    resolved = case_event(
        "case.resolved", case_id, COMMUNITY, 4, person_id=PERSON_ID, resolution="灯已修好",
        accepted_at=morning.isoformat(),
        resolved_at=(morning + timedelta(hours=hours)).isoformat(),
        on_time=True, first_time=True,
    )  # fmt: skip
    publish(console_stack.amqp_uri, resolved)
    entry_id = f"H-{resolved['event_id']}"
    wait_until(
        f"{entry_id} in the ledger",
        lambda: any(e["entry_id"] == entry_id for e in ledger(console_stack, PERSON_ID)["entries"]),
        timeout=30,
    )
    return entry_id


def shown_duration(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    return f"{'−' if minutes < 0 else ''}{hours} 小时 {rest} 分钟"


def test_the_ledger_and_the_households_balance_after_a_credit(volunteer, console, console_stack):
    credited = credit(console_stack)
    waiting = credit_over_the_limit(console_stack, PERSON_ID)
    mine = ledger(console_stack, PERSON_ID)
    household = roster(
        console_stack, f"/v1/households/{VOLUNTEER_DUTY_HOUSEHOLD}/hours", community_id=COMMUNITY
    ).json()
    volunteer.goto(f"{console}/my/hours")
    expect(volunteer.get_by_role("heading", name="我的时长")).to_be_visible()
    expect(volunteer.locator("#my-balance")).to_have_text(shown_duration(mine["balance_minutes"]))
    expect(volunteer.locator("#my-pending")).to_have_text(shown_duration(mine["pending_minutes"]))
    assert mine["pending_minutes"] >= 300
    expect(volunteer.locator(f"li[data-entry='{credited}']")).to_have_attribute(
        "data-state", "credited"
    )
    expect(volunteer.locator(f"li[data-entry='{waiting}'] .state")).to_have_text("待审核")
    expect(volunteer.locator("#household-id")).to_have_text(VOLUNTEER_DUTY_HOUSEHOLD)
    expect(volunteer.locator("#household-balance")).to_have_text(
        shown_duration(household["balance_minutes"])
    )
    assert household["balance_minutes"] >= 15
    fits_the_phone(volunteer)
    screenshot(volunteer, "volunteer-hours-ledger")
    volunteer.get_by_role("button", name="English").click()
    expect(volunteer.locator(f"li[data-entry='{waiting}'] .state")).to_have_text(
        "waiting for approval"
    )
    screenshot(volunteer, "volunteer-hours-english")
    volunteer.get_by_role("button", name="中文").click()
    # the test ends on the page the switch opened, never while it is still loading
    expect(volunteer.locator(f"li[data-entry='{waiting}'] .state")).to_have_text("待审核")


def test_a_volunteer_never_sees_another_persons_hours_nor_the_staffs_pages(
    volunteer, console, console_stack
):
    other = NEIGHBOUR
    theirs = credit_over_the_limit(console_stack, other)
    for path in ("/", "/cases", "/rota", "/hours", f"/hours/people/{other}",
                 f"/hours/households/{VOLUNTEER_DUTY_HOUSEHOLD}", "/people"):  # fmt: skip
        answer = volunteer.request.get(f"{console}{path}", max_redirects=0)
        if path == "/":
            assert answer.status == 303 and answer.headers["location"] == "/my"
        else:
            assert answer.status == 403, path
    # an id in the URL of the person's own page is no id the page reads
    volunteer.goto(f"{console}/my/hours?person={other}&person_id={other}")
    assert volunteer.locator(f"li[data-entry='{theirs}']").count() == 0
    expect(volunteer.get_by_role("heading", name="我的时长")).to_be_visible()
    sent = {"csrf": volunteer.locator("input[name=csrf]").first.input_value()}
    answer = volunteer.request.post(
        f"{console}/hours/people/{other}/corrections",
        form={**sent, "hours": "8", "reason": "x", "request_key": uuid.uuid4().hex},
    )
    assert answer.status == 403
    assert all(e["note"] != "x" for e in ledger(console_stack, other)["entries"])


def test_roster_gives_a_volunteers_token_their_own_hours_only(console_stack):
    """The rule behind the page, in roster itself: a volunteer's token (as the console and
    any app mint it) reads their own ledger and household, nobody else's."""
    credit(console_stack)
    credit_over_the_limit(console_stack, NEIGHBOUR)  # the neighbour's household has hours too
    mine = volunteer_headers(console_stack, PERSON_ID)
    base = console_stack.url("roster")

    def status(path: str, headers=mine, **params) -> int:
        return requests.get(f"{base}{path}", params=params, headers=headers, timeout=10).status_code

    theirs = f"/v1/households/{NEIGHBOUR_HOUSEHOLD}/hours"
    assert status(theirs, helper_headers(console_stack), community_id=COMMUNITY) == 200
    assert status(theirs, community_id=COMMUNITY) == 404
    assert status(f"/v1/people/{NEIGHBOUR}/hours") == 404
    assert status(f"/v1/people/{PERSON_ID}/hours") == 200
    ours = f"/v1/households/{VOLUNTEER_DUTY_HOUSEHOLD}/hours"
    assert status(ours, community_id=COMMUNITY) == 200
    assert status("/v1/hours/export", community_id=COMMUNITY, by="households") == 403
    assert status("/v1/hours/waiting", community_id=COMMUNITY) == 403
