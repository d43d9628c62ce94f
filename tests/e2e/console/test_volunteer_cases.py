"""A volunteer's cases on the phone (375×667), in a real browser against the real services:
the signed link from their SMS opens the case without a password and its GET changes
nothing; they accept and resolve with a photo through the confirm steps; signed in by SMS
code they see their offer on /my and decline it with a reason. And the attacks: a
volunteer's session on the staff's pages, another volunteer's link and URL, a forged,
altered or expired link, a link forwarded to reach the person's other pages, a double
submit, a form without its token, and a private case's details in the group's message
and another volunteer's view."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, expect

from lianxin.access.case_pages import CasePageLink, CasePageLinks
from lianxin.clock import utc_now
from scripts.stack import Stack
from scripts.webhook_sink import Sink
from tests.e2e.conftest import TOKEN_SECRET
from tests.e2e.console.browser import (
    PHONE_VIEWPORT,
    SCREENSHOTS,
    STAFF,
    VOLUNTEER,
    VOLUNTEER_2,
    person_headers,
    report,
    requests_case,
    seed_volunteers,
    signed_in,
    texts_to,
    volunteer_headers,
)
from tests.e2e.console.test_photos import uploaded
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
LINK = re.compile(r"(https?://\S+/v/[A-Za-z0-9_.-]+)")
CATEGORY = "parking.fire_lane"  # its team is on duty in every grid of the sample, all day
ROSTERED = ("dispatched", "escalated")  # roster offered the case on, or found nobody
# private by policy (services/cases/data), and its team on duty around the clock (a dispute's
# desk keeps hours: its case would wait for Friday's session)
PRIVATE_CATEGORY = "care.elderly_alone"


@pytest.fixture
def phone(page: Page, console_stack, console, mongo_client, tmp_path) -> Page:
    """The page at a phone's size, with the package's volunteers known to every service."""
    seed_volunteers(console_stack, mongo_client, tmp_path)
    page.set_viewport_size(PHONE_VIEWPORT)
    return page


def staff(stack: Stack) -> dict[str, str]:
    if not hasattr(stack, "staff_app"):
        stack.staff_app = person_headers(stack, STAFF[0], "staff")
    return stack.staff_app


def cases_post(stack: Stack, case_id: str, action: str, body: dict, headers: dict) -> dict:
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases/{case_id}/{action}", json=body, headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def assigned(
    stack: Stack,
    description: str,
    category: str = CATEGORY,
    escalated: bool = False,
    attachments: list[str] | None = None,
) -> dict:
    """A report triaged (by cases' keywords, else by staff), offered on by roster or
    escalated for want of anyone on duty (or, `escalated`, by staff: the grid's group is
    told), then assigned by staff to VOLUNTEER: dispatched, theirs to accept (roster's own
    answer waited for, so that it cannot take the case back)."""
    case = report(stack, description, attachments=attachments)
    if case["state"] == "reported":
        cases_post(stack, case["id"], "triage", {"category": category}, staff(stack))

    def rostered() -> str | None:
        state = requests_case(stack, case["id"])["state"]
        return state if state in ROSTERED else None

    state = wait_until("roster's answer", rostered)
    if escalated and state != "escalated":
        body = {"level": "grid_leader", "reason": "需要网格长协调"}
        cases_post(stack, case["id"], "escalate", body, staff(stack))
    body = {"person_id": VOLUNTEER[0], "display_name": "志愿者"}
    return cases_post(stack, case["id"], "assign", body, staff(stack))


def link_for(sms: Sink, person, number: str) -> str:
    """The case page link of the person's SMS about case `number`."""

    def arrived() -> str | None:
        texts = [text for text in texts_to(sms, person[1]) if number in text]
        found = LINK.search(texts[-1]) if texts else None
        return found.group(1) if found else None

    return wait_until(f"an SMS with a link about {number}", arrived, timeout=30)


def fits_the_phone(page: Page) -> None:
    """No sideways scroll at 375 px, and every button big enough to tap."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    for button in page.locator("main button").all():
        box = button.bounding_box()
        assert box is None or box["height"] >= 44, button.inner_text()


def jpeg(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 140, 90)).save(out, "JPEG")
    return out.getvalue()


def test_the_link_opens_the_case_and_the_volunteer_accepts_then_resolves_with_a_photo(
    phone, console, sms, console_stack
):
    reported_photo = uploaded(console_stack, 640, 480)  # the resident's, with the report
    case = assigned(console_stack, "楼下一直有动静 link flow",
                    attachments=[reported_photo["reference"]])  # fmt: skip
    url = link_for(sms, VOLUNTEER, case["number"])
    before = requests_case(console_stack, case["id"])
    phone.goto(url)  # a scanner's GET, then the person's: nothing changes
    expect(phone.locator("#case-state")).to_have_attribute("data-state", "dispatched")
    expect(phone.locator("#case-description")).to_contain_text("一直有动静")
    assert requests.get(url, timeout=10).status_code == 200
    after = requests_case(console_stack, case["id"])
    assert (after["state"], after["timeline"], after["version"]) == (
        before["state"],
        before["timeline"],
        before["version"],
    )
    assert "lx_session" not in {c["name"] for c in phone.context.cookies()}, "no session"
    fits_the_phone(phone)
    phone.screenshot(path=str(SCREENSHOTS / "volunteer-link.png"), full_page=True)

    phone.get_by_role("button", name="接单…").click()
    expect(phone.locator("#confirm-what")).to_contain_text("此案件由您承办")
    assert requests_case(console_stack, case["id"])["state"] == "dispatched", "not yet"
    phone.get_by_role("button", name="确认接单").click()
    expect(phone.locator("#done")).to_contain_text("已接单")
    expect(phone.locator("#case-state")).to_have_attribute("data-state", "accepted")

    phone.get_by_label("处置情况").fill("已联系狗主人，狗已牵回家")
    phone.get_by_label("处置后照片（可选）").set_input_files(
        [{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    phone.get_by_role("button", name="办结…").click()
    expect(phone.locator("#confirm-photos")).to_have_attribute("data-count", "1")
    fits_the_phone(phone)
    phone.screenshot(path=str(SCREENSHOTS / "volunteer-confirm-resolve.png"), full_page=True)
    assert requests_case(console_stack, case["id"])["state"] == "accepted", "not yet"
    phone.get_by_role("button", name="确认办结").click()
    expect(phone.locator("#done")).to_contain_text("已办结")
    resolved = requests_case(console_stack, case["id"])
    assert resolved["state"] == "resolved"
    [step] = [step for step in resolved["timeline"] if step["action"] == "resolve"]
    [photo] = step["attachments"]
    assert photo.startswith("photo:") and resolved["attachments"] == [reported_photo["reference"]]
    expect(phone.locator("#photos-before img")).to_have_count(1)
    expect(phone.locator("#photos-before .badge")).to_have_text("处置前")
    after_photo = phone.locator("#photos-after img")
    expect(after_photo).to_have_count(1)
    expect(phone.locator("#photos-after .badge")).to_have_text("处置后")
    phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=after_photo.element_handle()
    )
    assert after_photo.evaluate("img => img.naturalWidth") == 320  # cases' thumbnail
    phone.screenshot(path=str(SCREENSHOTS / "volunteer-resolved.png"), full_page=True)

    # the link opened this case only: the person's other pages still ask for a sign-in
    for path in ("/my", f"/my/cases/{case['id']}"):
        phone.goto(f"{console}{path}")
        expect(phone).to_have_url(f"{console}/sign-in")


def test_a_volunteer_signs_in_sees_the_offer_on_my_cases_and_declines_it_with_a_reason(
    phone, console, sms, console_stack
):
    case = assigned(console_stack, "门口的事说不清 decline flow")
    signed_in(phone, console, sms, VOLUNTEER)
    phone.goto(f"{console}/my")
    offered = phone.locator("#my-offered")
    expect(offered).to_contain_text(case["number"])
    expect(offered).to_contain_text("接单截止")
    expect(phone.locator("main")).to_contain_text("Asia/Shanghai")
    fits_the_phone(phone)
    phone.screenshot(path=str(SCREENSHOTS / "volunteer-my-cases.png"), full_page=True)
    offered.get_by_role("link", name=re.compile(case["number"])).click()
    expect(phone).to_have_url(f"{console}/my/cases/{case['id']}")

    # no reason (the browser's own check set aside): refused beside the field
    phone.locator("#decline-reason").evaluate("field => field.removeAttribute('required')")
    phone.get_by_role("button", name="拒单…").click()
    expect(phone.locator("#error-decline-reason")).to_be_visible()
    assert requests_case(console_stack, case["id"])["state"] == "dispatched"
    phone.get_by_label("拒单原因").fill("今天在外地，赶不回来")
    phone.get_by_role("button", name="拒单…").click()
    expect(phone.locator("#confirm-reason")).to_have_text("今天在外地，赶不回来")
    phone.get_by_role("button", name="确认拒单").click()
    expect(phone.locator("#done")).to_contain_text("已拒单")
    # the case left them: their page of it is "not found" now, as cases' answer moved on
    assert requests_case(console_stack, case["id"])["assignee"] != VOLUNTEER[0]
    assert phone.request.get(f"{console}/my/cases/{case['id']}").status == 404
    steps = [
        s for s in requests_case(console_stack, case["id"])["timeline"] if s["action"] == "decline"
    ]
    assert [s["note"] for s in steps] == ["今天在外地，赶不回来"]


def test_a_volunteer_s_session_is_refused_on_the_staff_s_pages(phone, console, sms):
    signed_in(phone, console, sms, VOLUNTEER)
    for path in ("/cases", "/rota", "/triage"):
        assert phone.request.get(f"{console}{path}").status == 403, path


def test_another_volunteer_gets_nothing_of_the_case_by_url_or_by_their_own_session(
    phone, console, sms, console_stack
):
    case = assigned(console_stack, "楼道里的事 someone else's case")
    signed_in(phone, console, sms, VOLUNTEER_2)
    for path in (
        "",
        "/photos/ph_0123456789abcdef0123",
        "/photos/ph_0123456789abcdef0123/thumbnail",
    ):
        assert phone.request.get(f"{console}/my/cases/{case['id']}{path}").status == 404
    # a form posted to it anyway: the case is not theirs, nothing changes
    csrf = phone.locator("input[name=csrf]").first.get_attribute("value")
    posted = phone.request.post(
        f"{console}/my/cases/{case['id']}/accept",
        form={
            "csrf": csrf,
            "form_key": "k" * 24,
            "confirmed": "true",
        },
    )
    assert posted.status == 404
    # a link signed for VOLUNTEER_2 naming VOLUNTEER's case opens nothing either
    theirs = CasePageLinks(TOKEN_SECRET).url(
        console, CasePageLink(VOLUNTEER_2[0], case["id"], utc_now(), utc_now() + timedelta(days=1))
    )
    assert requests.get(theirs, timeout=10).status_code == 404
    assert requests_case(console_stack, case["id"])["state"] == "dispatched"


def test_a_forged_altered_or_expired_link_is_refused(phone, console, sms, console_stack):
    case = assigned(console_stack, "小区里的事 forged links")
    url = link_for(sms, VOLUNTEER, case["number"])
    now = utc_now()
    forged = CasePageLinks("not-the-services-secret-0123").url(
        console, CasePageLink(VOLUNTEER[0], case["id"], now, now + timedelta(days=1))
    )
    expired = CasePageLinks(TOKEN_SECRET).url(
        console,
        CasePageLink(VOLUNTEER[0], case["id"], now - timedelta(days=8), now - timedelta(seconds=1)),
    )
    altered = url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb")
    for bad, status in ((forged, 404), (altered, 404), (expired, 410)):
        phone.goto(bad)
        expect(phone.locator("#link-refused")).to_be_visible()
        assert requests.get(bad, timeout=10).status_code == status
        refused = requests.post(
            f"{bad}/accept",
            data={"csrf": "x", "form_key": "k" * 24, "confirmed": "true"},
            timeout=10,
        )
        assert refused.status_code == status
    phone.goto(expired)
    phone.screenshot(path=str(SCREENSHOTS / "volunteer-link-expired.png"), full_page=True)
    # the real link's form without its token: 403, nothing done
    no_token = requests.post(
        f"{url}/accept", data={"form_key": "k" * 24, "confirmed": "true"}, timeout=10
    )
    assert no_token.status_code == 403
    assert requests_case(console_stack, case["id"])["state"] == "dispatched"


def test_a_confirmation_submitted_twice_acts_once(phone, console, sms, console_stack):
    case = assigned(console_stack, "电梯里的事 double submit")
    url = link_for(sms, VOLUNTEER, case["number"])
    phone.goto(url)
    phone.get_by_role("button", name="English").click()  # the link's page speaks both
    phone.get_by_role("button", name="Accept…").click()
    form = {
        name: phone.locator(f"#confirm-form input[name={name}]").get_attribute("value")
        for name in ("csrf", "form_key", "confirmed")
    }
    answers = [
        requests.post(f"{url}/accept", data=form, allow_redirects=False, timeout=10)
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [303, 303]
    accepted = requests_case(console_stack, case["id"])
    assert accepted["state"] == "accepted"
    assert [s["action"] for s in accepted["timeline"]].count("accept") == 1


def test_a_private_case_shows_no_details_in_the_group_message_nor_to_another_volunteer(
    phone, console, sms, console_stack
):
    case = assigned(console_stack, "隔壁独居老人好几天没出门 private-details-xyz",
                    category=PRIVATE_CATEGORY, escalated=True)  # fmt: skip
    assert case["private"] is True

    def group_message() -> str | None:
        with sms.lock:
            told = [
                m["text"]
                for m in sms.messages
                if m["channel"] != "sms" and case["number"] in m["text"]
            ]
        return told[-1] if told else None

    told = wait_until("the group's message about the private case", group_message, timeout=30)
    assert "private-details-xyz" not in told and "/v/" not in told
    # the assignee's own SMS has its link, and their page its details
    url = link_for(sms, VOLUNTEER, case["number"])
    phone.goto(url)
    expect(phone.locator("#case-description")).to_contain_text("private-details-xyz")
    phone.screenshot(path=str(SCREENSHOTS / "volunteer-private-case.png"), full_page=True)
    # another volunteer: nothing on their pages, and cases answers them no details
    signed_in(phone, console, sms, VOLUNTEER_2)
    assert phone.request.get(f"{console}/my/cases/{case['id']}").status == 404
    seen = requests.get(
        f"{console_stack.url('cases')}/v1/cases/{case['id']}",
        headers=volunteer_headers(console_stack, VOLUNTEER_2[0]),
        timeout=10,
    )
    assert seen.status_code == 200 and "private-details-xyz" not in seen.text


def test_more_time_is_asked_in_the_community_s_zone_and_a_time_too_early_is_refused_beside_it(
    phone, console, sms, console_stack
):
    case = assigned(console_stack, "车棚里的事 more time")
    cases_post(
        console_stack, case["id"], "accept", {}, volunteer_headers(console_stack, VOLUNTEER[0])
    )
    phone.goto(link_for(sms, VOLUNTEER, case["number"]))
    phone.get_by_label("延期至").fill("2020-01-01T09:00")  # before the resolve-by
    phone.get_by_label("原因").fill("等物业配合")
    phone.get_by_role("button", name="申请延期…").click()
    expect(phone.locator("#confirm-until")).to_contain_text("2020-01-01 09:00 (Asia/Shanghai)")
    phone.get_by_role("button", name="确认申请延期").click()
    expect(phone.locator("#error-extension-until")).to_be_visible()  # cases refused it
    assert requests_case(console_stack, case["id"])["extension"] is None
    phone.get_by_label("延期至").fill("2099-01-01T09:00")
    phone.get_by_label("原因").fill("等物业配合")
    phone.get_by_role("button", name="申请延期…").click()
    phone.get_by_role("button", name="确认申请延期").click()
    expect(phone.locator("#done")).to_contain_text("延期申请已提交")
    extension = requests_case(console_stack, case["id"])["extension"]
    assert (extension["state"], extension["until"][:16]) == ("pending", "2099-01-01T01:00")
    expect(phone.locator("#form-extension")).to_have_count(0)  # one request at a time
    # a file that is no photo: cases refuses it at upload, said beside the field
    phone.get_by_label("处置情况").fill("已处理")
    phone.get_by_label("处置后照片（可选）").set_input_files(
        [{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"}]
    )
    phone.get_by_role("button", name="办结…").click()
    expect(phone.locator("#error-resolve-photo")).to_be_visible()
    assert requests_case(console_stack, case["id"])["state"] == "accepted"


def test_the_timeline_names_the_triaged_category_in_the_page_s_language(
    phone, console, sms, console_stack
):
    case = assigned(console_stack, "消防通道被车堵了 timeline words")
    stored = requests_case(console_stack, case["id"])
    [triaged] = [step for step in stored["timeline"] if step["action"] == "triage"]
    assert triaged["note"].startswith(f"{stored['category']} ("), "cases keeps the code"
    signed_in(phone, console, sms, VOLUNTEER)
    phone.goto(f"{console}/my/cases/{case['id']}")
    timeline = phone.locator("ol.timeline")
    expect(timeline).to_contain_text(f"{stored['category_label']['zh']}（优先级：")
    expect(timeline).not_to_contain_text(stored["category"])
    fits_the_phone(phone)
    phone.screenshot(path=str(SCREENSHOTS / "console-polish-volunteer-timeline.png"),
                     full_page=True)  # fmt: skip
    phone.get_by_role("button", name="English").click()
    expect(timeline).to_contain_text(f"{stored['category_label']['en']} (priority ")
    expect(timeline).not_to_contain_text(stored["category"])
