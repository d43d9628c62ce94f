"""A resident's progress page in the browser, at a phone's 375×667: the resident reports
through the API as an app would (a phone number, consent to progress messages), the case
is assigned, accepted, resolved with a photo and verified through the APIs, and the
resident opens the link their closing SMS carried (read from the SMS sink) — no account,
no session. They see the steps and no staff name or phone number anywhere in the page,
rate 5 with a comment once; a second rating is refused in words; an altered link is 404;
a link preview (GET) changes nothing; a forged form acts on nothing. A follower's link of a
private case (a duplicate merged into it) shows the state only.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from lianxin.access.progress_links import LIFETIME, ProgressLinks
from scripts.stack import Stack
from scripts.webhook_sink import Sink
from tests.e2e.conftest import TOKEN_SECRET, helper_headers
from tests.e2e.console.browser import (
    COMMUNITY,
    SCREENSHOTS,
    person_headers,
    requests_case,
    volunteer_headers,
)
from tests.e2e.console.test_photos import uploaded
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

PHONE_SCREEN = {"width": 375, "height": 667}
STAFF_ID, STAFF_NAME, STAFF_PHONE = "p-staff-1", "彭国庆", "13807310700"
VOLUNTEER_ID, VOLUNTEER_NAME, VOLUNTEER_PHONE = "p-repair-4", "叶志强", "13807310630"
PHONE_NUMBER = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def resident_phone() -> str:
    return "1390731" + f"{secrets.randbelow(10_000):04d}"


def reported(stack: Stack, description: str, phone: str, category: str, photos=()) -> dict:
    """A report from a residents' app, with the resident's consent to progress messages."""
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json={
            "description": description,
            "community_id": COMMUNITY,
            "channel": "app",
            "category": category,
            "location": {"grid_id": "jingxiang-g2"},
            "reporter": {"name": "王阿姨", "phone": phone, "consent": True},
            "attachments": list(photos),
        },
        headers=helper_headers(stack),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def act(stack: Stack, case_id: str, action: str, headers: dict, body: dict) -> dict:
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases/{case_id}/{action}", json=body, headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def handled(stack: Stack, case_id: str, close: bool = True) -> None:
    """Staff assign the case, the volunteer accepts it and resolves it with an `after`
    photo (and a phone number in the text), staff verify it."""
    staff = person_headers(stack, STAFF_ID, "staff")
    volunteer = volunteer_headers(stack, VOLUNTEER_ID)
    assign = {"person_id": VOLUNTEER_ID, "display_name": VOLUNTEER_NAME}
    act(stack, case_id, "assign", staff, assign)
    act(stack, case_id, "accept", volunteer, {})
    work = requests.post(
        f"{stack.url('cases')}/v1/photos",
        data={"community_id": COMMUNITY, "tag": "after"},
        files=[("photo", ("after.jpg", _jpeg(), "image/jpeg"))],
        headers=volunteer,
        timeout=30,
    )
    assert work.status_code == 201, work.text
    resolution = {
        "resolution": f"已更换灯泡，有问题请找 {VOLUNTEER_PHONE}",
        "attachments": [work.json()["photos"][0]["reference"]],
    }
    act(stack, case_id, "resolve", volunteer, resolution)
    if close:
        act(stack, case_id, "verify", staff, {"note": f"{STAFF_NAME}核查合格"})


def _jpeg() -> bytes:
    from tests.cases.app.test_photos import jpeg_with_gps

    return jpeg_with_gps(640, 480)


def link_sent(sms: Sink, phone: str, saying: str) -> str:
    """The progress link of the SMS to `phone` that says `saying`."""

    def found() -> str | None:
        with sms.lock:
            texts = [m["body"].get("text", "") for m in sms.messages
                     if m["channel"] == "sms" and m["body"].get("to") == phone]  # fmt: skip
        links = [re.search(r"(http\S+/r/\S+)", t) for t in texts if saying in t]
        return links[-1].group(1) if links and links[-1] else None

    return wait_until(f"an SMS to the resident saying {saying}", found, timeout=30)


def on_phone(page: Page) -> None:
    page.set_viewport_size(PHONE_SCREEN)


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_SCREEN["width"], f"the page scrolls sideways ({width} px)"


def shows_nobody(html: str, token: str, *private: str) -> None:
    """No staff or volunteer name, person id or phone number anywhere in the page."""
    for text in private:
        assert text not in html, text
    assert not PHONE_NUMBER.search(html.replace(token, "")), PHONE_NUMBER.search(html)


def test_a_resident_follows_their_case_from_the_sms_link_and_rates_it_once(
    page, console, sms, console_stack
):
    phone = resident_phone()
    photo = uploaded(console_stack)
    case = reported(console_stack, "2栋楼道灯不亮了，晚上看不见", phone, "facility.lighting",
                    [photo["reference"]])  # fmt: skip
    handled(console_stack, case["id"])
    link = link_sent(sms, phone, "已办结")
    token = link.rsplit("/r/", 1)[1]
    assert link.startswith(console), "the link is the console's page"

    # a link preview or scanner fetches the page and the form's address: nothing acts
    assert requests.get(link, timeout=10).status_code == 200
    assert requests.get(f"{link}/rating", timeout=10).status_code == 405
    before = requests_case(console_stack, case["id"])
    assert (before["state"], before["rating"]) == ("closed", None)

    on_phone(page)
    opened = page.goto(link)
    assert opened.status == 200 and opened.headers["x-robots-tag"].startswith("noindex")
    expect(page.locator("#progress-stage h2")).to_have_text("已办结")
    steps = page.locator("ol.progress-steps li")
    expect(steps).to_have_count(5)
    expect(steps.nth(4)).to_have_attribute("aria-current", "step")
    expect(page.locator("#progress-timeline li").first).to_contain_text("收到反映")
    expect(page.locator("#progress-resolution")).to_contain_text("已更换灯泡")
    thumbnails = page.locator("#progress-photos img")
    expect(thumbnails).to_have_count(2)
    for index in range(2):
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=thumbnails.nth(index).element_handle())  # fmt: skip
    fits_the_phone(page)
    shows_nobody(page.content(), token, STAFF_ID, STAFF_NAME, STAFF_PHONE, VOLUNTEER_ID,
                 VOLUNTEER_NAME, "叶*强", VOLUNTEER_PHONE, phone, "王阿姨", "核查合格")  # fmt: skip
    page.screenshot(path=str(SCREENSHOTS / "resident-progress-closed.png"), full_page=True)

    # a form not from this page (no CSRF token) acts on nothing
    forged = page.request.post(f"{link}/rating", form={"rating": "1", "form_key": "f" * 20})
    assert forged.status == 403
    assert requests_case(console_stack, case["id"])["rating"] is None
    # bad input is the page again with the field's error, nothing changed
    csrf, form_key = (page.locator(f".rating-form input[name={name}]").input_value()
                      for name in ("csrf", "form_key"))  # fmt: skip
    bad = page.request.post(f"{link}/rating",
                            form={"csrf": csrf, "form_key": form_key, "rating": "6"})  # fmt: skip
    assert bad.status == 400 and 'id="rating-error"' in bad.text()
    assert requests_case(console_stack, case["id"])["state"] == "closed"

    page.locator("label[for=rating-5]").click()
    page.get_by_label("评价内容（选填）").fill("修得很快，谢谢！")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#thanks")).to_be_visible()
    expect(page.locator("#your-rating")).to_have_attribute("data-rating", "5")
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "resident-progress-rated.png"), full_page=True)
    rated = requests_case(console_stack, case["id"])
    assert (rated["state"], rated["rating"]) == ("rated", 5)

    # the same form sent again rates once; another rating is refused in words
    again = page.request.post(f"{link}/rating", form={
        "csrf": csrf, "form_key": form_key, "rating": "5", "comment": "修得很快，谢谢！",
    }, max_redirects=0)  # fmt: skip
    assert again.status == 303
    second = page.request.post(f"{link}/rating", form={
        "csrf": csrf, "form_key": "s" * 20, "rating": "1", "comment": "再评一次",
    })  # fmt: skip
    assert second.status == 409 and "您已评价过这个案件" in second.text()
    final = requests_case(console_stack, case["id"])
    assert final["rating"] == 5
    assert [step["action"] for step in final["timeline"]].count("rate") == 1

    # the page and its photos answer nothing to an altered, foreign or expired link
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert page.goto(f"{console}/r/{altered}").status == 404
    photo_id = photo["id"]
    assert page.request.get(f"{console}/r/{altered}/photos/{photo_id}/thumbnail").status == 404
    assert page.request.get(f"{link}/photos/{photo_id}/thumbnail").status == 200
    long_ago = datetime.now(UTC) - LIFETIME - timedelta(minutes=1)
    expired = ProgressLinks(TOKEN_SECRET).token(case["id"], case["id"], long_ago)
    foreign = ProgressLinks("another-secret-0123456789").token(case["id"], case["id"],
                                                               datetime.now(UTC))  # fmt: skip
    for refused in (expired, foreign):
        assert requests.get(f"{console}/r/{refused}", timeout=10).status_code == 404
        api = requests.get(f"{console_stack.url('cases')}/v1/progress/{refused}", timeout=10)
        assert api.status_code == 404

    # the page in English, switched as on every console page
    page.goto(link)
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Your report's progress")
    expect(page.locator("#progress-stage h2")).to_have_text("Closed")


def test_a_photo_of_another_case_is_not_reached_through_a_progress_link(console, console_stack):
    """The link shows its own case's report and resolve photos, and no other."""
    phone = resident_phone()
    mine = reported(console_stack, "3栋垃圾桶满了没人清", phone, "environment.stairwell_clutter")
    elsewhere = uploaded(console_stack, 64, 48)
    reported(console_stack, "另一件：门口有杂物", resident_phone(), "facility.lighting",
             [elsewhere["reference"]])  # fmt: skip
    token = ProgressLinks(TOKEN_SECRET).token(mine["id"], mine["id"], datetime.now(UTC))
    cases = console_stack.url("cases")
    shown = requests.get(f"{cases}/v1/progress/{token}", timeout=10)
    assert shown.status_code == 200 and shown.json()["stage"] in ("reported", "dispatched")
    assert not {"assignee", "assignee_name", "by"} & set(shown.json())
    for path in ("", "/thumbnail"):
        url = f"{console}/r/{token}/photos/{elsewhere['id']}{path}"
        assert requests.get(url, timeout=10).status_code == 404
        api = f"{cases}/v1/progress/{token}/photos/{elsewhere['id']}{path}"
        assert requests.get(api, timeout=10).status_code == 404


def test_a_followers_link_of_a_private_case_shows_the_state_only(
    page, console, sms, console_stack
):
    reporter, follower = resident_phone(), resident_phone()
    original = reported(console_stack, "楼上邻居每晚十二点后装修，多次沟通无果", reporter,
                        "dispute.neighbour")  # fmt: skip
    duplicate = reported(console_stack, "楼上深夜装修太吵，影响老人休息", follower,
                         "dispute.neighbour")  # fmt: skip
    staff = person_headers(console_stack, STAFF_ID, "staff")
    act(console_stack, duplicate["id"], "merge", staff, {"into": original["id"]})
    link_sent(sms, follower, "合并处理")  # their own case's end hands them over
    handled(console_stack, original["id"], close=False)
    followers_link = link_sent(sms, follower, "已处置完毕")
    reporters_link = link_sent(sms, reporter, "已处置完毕")
    assert followers_link != reporters_link

    on_phone(page)
    assert page.goto(followers_link).status == 200
    expect(page.locator("#progress-stage")).to_have_attribute("data-stage", "resolved")
    expect(page.locator("#progress-private")).to_be_visible()
    html = page.content()
    for detail in ("楼上邻居", "深夜装修", "邻里纠纷", "已更换灯泡", 'name="rating"'):
        assert detail not in html, detail
    expect(page.locator("#progress-photos")).to_have_count(0)
    shows_nobody(html, followers_link.rsplit("/r/", 1)[1], STAFF_NAME, VOLUNTEER_NAME, "叶*强")
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "resident-progress-private.png"), full_page=True)
    # the follower's link never rates, even once the case is closed
    act(console_stack, original["id"], "verify", staff, {})
    token = followers_link.rsplit("/r/", 1)[1]
    answer = requests.post(f"{console_stack.url('cases')}/v1/progress/{token}/rating",
                           json={"rating": 1}, timeout=10)  # fmt: skip
    assert answer.status_code == 403
    # the reporter's own link shows the details of their private case
    assert page.goto(reporters_link).status == 200
    expect(page.locator("#progress-description")).to_contain_text("楼上邻居")
