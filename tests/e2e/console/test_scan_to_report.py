"""Scan to report (扫码反映) in a real browser at a phone's 375×667: a resident with no
account verifies their number with the SMS code and reports with a photo; the case comes
through the `scan` channel with the photo bound and reaches dispatch. A form sent twice
makes one case, a wrong code or a forged proof reports nothing, the limits answer 429 in
words, and staff print the page's QR code poster, whose code holds exactly the page's
address. The resident's own requests outside the browser (a double submit, a forged
form) are made with `requests`, as any client may send them."""

from __future__ import annotations

import io
import re
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import segno
from PIL import Image
from playwright.sync_api import Page, expect

from services.console.domain.limits import CODES_PER_PHONE, REPORTS_PER_PHONE
from tests.cases.app.test_photos import jpeg_with_gps
from tests.console.domain.test_residents_report import modules
from tests.e2e.conftest import helper_headers, wait_for_state
from tests.e2e.console.browser import (
    COMMUNITY,
    SCREENSHOTS,
    STAFF_2,
    code_for,
    sent_so_far,
    signed_in,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

PHONE_VIEW = {"width": 375, "height": 667}
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')


def new_phone() -> str:
    """A number nobody has used in this stack: each test's limits are its own."""
    return f"139{uuid.uuid4().int % 10**8:08d}"


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEW["width"]


def scan_cases(stack, description: str) -> list[dict]:
    """The community's scan-channel cases with this description, as staff's API lists them."""
    answer = requests.get(
        f"{stack.url('cases')}/v1/cases",
        params={"community_id": COMMUNITY, "channel": "scan", "limit": 200},
        headers=helper_headers(stack),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return [case for case in answer.json()["cases"] if case["description"] == description]


def code_asked_in_browser(page: Page, console: str, sms, phone: str, query: str = "") -> str:
    """Step 1 as a resident takes it, ending on the code step: the code their phone got."""
    page.set_viewport_size(PHONE_VIEW)
    page.goto(f"{console}/r/report/{COMMUNITY}{query}")
    expect(page.get_by_role("heading", name="扫码反映")).to_be_visible()
    fits_the_phone(page)
    before = sent_so_far(sms)
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#report-message")).to_contain_text("验证码已发送")
    return code_for(sms, phone, before)


def verify_in_browser(page: Page, console: str, sms, phone: str, query: str = "") -> None:
    """Steps 1 and 2 as a resident takes them, ending on the report form."""
    page.get_by_label("短信验证码").fill(code_asked_in_browser(page, console, sms, phone, query))
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator("#report-message")).to_contain_text("已验证手机号")


class Resident:
    """A resident's client outside the browser: the page's cookie and forms, by hand."""

    def __init__(self, console: str, sms):
        self.console = console
        self.sms = sms
        self.http = requests.Session()
        self.page_url = f"{console}/r/report/{COMMUNITY}"
        self.csrf = dict(HIDDEN.findall(self.http.get(self.page_url, timeout=10).text))["csrf"]

    def ask_code(self, phone: str) -> requests.Response:
        return self.http.post(f"{self.page_url}/code", data={"csrf": self.csrf, "phone": phone},
                              timeout=10)  # fmt: skip

    def verified_form(self, phone: str) -> dict[str, str]:
        """The hidden fields of the report form a right code opens."""
        before = sent_so_far(self.sms)
        assert self.ask_code(phone).status_code == 200
        code = code_for(self.sms, phone, before)
        answer = self.http.post(f"{self.page_url}/verify", timeout=10,
                                data={"csrf": self.csrf, "phone": phone, "code": code})  # fmt: skip
        assert answer.status_code == 200, answer.text
        hidden = dict(HIDDEN.findall(answer.text))
        return {name: hidden[name] for name in ("csrf", "form_key", "phone", "proof")}

    def send(self, form: dict[str, str], photos: list[bytes] = (), **fields: str):
        body = {**form, "category": "facility.household_repair", "building": "jingxiang-b05",
                "unit": "jingxiang-b05-u1", **fields}  # fmt: skip
        files = [("photo", (f"p{n}.jpg", data, "image/jpeg")) for n, data in enumerate(photos)]
        return self.http.post(self.page_url, data=body, files=files or None,
                              allow_redirects=False, timeout=30)  # fmt: skip


def test_a_resident_scans_and_reports_with_a_photo_and_the_case_reaches_dispatch(
    page, console, sms, console_stack
):
    phone = new_phone()
    verify_in_browser(page, console, sms, phone, "?building=jingxiang-b03")  # the poster's
    fits_the_phone(page)
    expect(page.get_by_label("楼栋")).to_have_value("jingxiang-b03")  # chosen by the QR code
    page.get_by_label("问题类别").select_option("environment.stairwell_clutter")
    page.get_by_label("楼栋").select_option("jingxiang-b01")
    expect(page.locator("#unit option[value='jingxiang-b01-u3']")).to_have_count(1)  # htmx
    page.get_by_label("楼栋").select_option("jingxiang-b03")
    expect(page.locator("#unit option[value='jingxiang-b01-u3']")).to_have_count(0)
    page.get_by_label("单元", exact=True).select_option("jingxiang-b03-u2")
    description = f"3栋2单元楼道堆满纸箱，堵住了楼梯 {uuid.uuid4().hex[:6]}"
    page.get_by_label("问题描述").fill(description)
    photo = jpeg_with_gps(800, 600)
    page.get_by_label("照片（可选，最多9张）").set_input_files(
        files=[{"name": "stairs.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.screenshot(path=str(SCREENSHOTS / "resident-report-form.png"), full_page=True)
    page.get_by_role("button", name="提交").click()

    expect(page.locator("#report-receipt")).to_contain_text("已收到您的反映")
    number = page.locator("#case-number").inner_text()
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "resident-report-sent.png"), full_page=True)
    [case] = scan_cases(console_stack, description)
    assert case["number"] == number and case["channel"] == "scan"
    assert case["location"]["area_code"] == "jingxiang-b03-u2"
    assert case["grid_id"] == "jingxiang-g1" and case["category"] == "environment.stairwell_clutter"
    assert case["reporter"]["phone"] != phone and case["reporter"]["phone"].endswith(phone[-2:])
    assert case["timeline"][0]["by"] == "console-residents"  # the residents' key, not the staff's
    [reference] = case["attachments"]
    bound = requests.get(f"{console_stack.url('cases')}/v1/photos/{reference.split(':')[1]}",
                         headers=helper_headers(console_stack), timeout=10)  # fmt: skip
    assert bound.status_code == 200  # read through the case: bound to it
    assert b"PhoneMaker" not in bound.content  # its EXIF (GPS included) stripped
    assert Image.open(io.BytesIO(bound.content)).size == (800, 600)
    dispatched = wait_for_state(console_stack, case["id"], "dispatched")
    assert dispatched["assignee"] and dispatched["team"] == "green_vests"
    wait_until("metrics to count the scan channel", lambda: scan_counted(console_stack) >= 1)
    signed_in(page, console, sms, STAFF_2)  # staff see the scan channel in the statistics
    page.goto(f"{console}/stats")
    expect(page.locator("#chart-by-channel-table")).to_contain_text("扫码反映")


def scan_counted(stack) -> int:
    """The community's reports through the scan channel, as metrics' summary counts them."""
    summary = requests.get(f"{stack.url('metrics')}/v1/stats/summary", timeout=10,
                           params={"community_id": COMMUNITY}, headers=helper_headers(stack))
    return summary.json()["by_channel"].get("scan", {}).get("collected", 0)  # fmt: skip


def test_a_form_sent_twice_at_once_and_again_makes_one_case(console, sms, console_stack):
    resident = Resident(console, sms)
    form = resident.verified_form(new_phone())
    description = f"5栋1单元水管漏水 {uuid.uuid4().hex[:6]}"
    photo = jpeg_with_gps(320, 240)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: resident.send(form, [photo], description=description),
                                range(2)))  # fmt: skip
    answers.append(resident.send(form, [photo], description=description))  # a reload
    assert [answer.status_code for answer in answers] == [303, 303, 303]
    receipt = {answer.headers["Location"] for answer in answers}
    assert len(receipt) == 1
    [case] = scan_cases(console_stack, description)
    assert len(case["attachments"]) == 1  # the photos of the form, uploaded once
    [location] = receipt

    def receipt_shown() -> str | None:
        text = resident.http.get(console + location, timeout=10).text
        return text if "已收到您的反映" in text else None

    assert case["number"] in wait_until("the receipt to show the case", receipt_shown)


def test_a_wrong_code_is_refused_and_a_forged_proof_reports_nothing(
    page, console, sms, console_stack
):
    phone = new_phone()
    code = code_asked_in_browser(page, console, sms, phone)
    page.get_by_label("短信验证码").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator("#report-message")).to_contain_text("验证码不正确")
    expect(page.get_by_label("问题描述")).to_have_count(0)  # no report form
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "resident-report-wrong-code.png"), full_page=True)

    resident = Resident(console, sms)
    description = f"伪造的验证 forged {uuid.uuid4().hex[:6]}"
    forged = {"csrf": resident.csrf, "form_key": secrets.token_urlsafe(16), "phone": phone,
              "proof": "9999999999." + "0" * 64}  # fmt: skip
    refused = resident.send(forged, description=description)
    assert refused.status_code == 403 and "重新验证" in refused.text
    no_token = resident.send({**forged, "csrf": ""}, description=description)
    assert no_token.status_code == 403
    assert scan_cases(console_stack, description) == []


def test_limits_answer_429_in_words(page, console, sms, console_stack):
    resident = Resident(console, sms)
    phone = new_phone()
    form = resident.verified_form(phone)  # one code of the number's five
    for n in range(REPORTS_PER_PHONE.count):
        fresh = {**form, "form_key": secrets.token_urlsafe(16)}
        made = resident.send(fresh, description=f"{n + 1}号 家里水管坏了 {uuid.uuid4().hex[:6]}")
        assert made.status_code == 303, made.text
    over = resident.send({**form, "form_key": secrets.token_urlsafe(16)}, description="再报一件")
    assert over.status_code == 429 and "提交过于频繁" in over.text
    assert scan_cases(console_stack, "再报一件") == []

    asked = [resident.ask_code(phone).status_code for _ in range(CODES_PER_PHONE.count)]
    assert asked == [200] * (CODES_PER_PHONE.count - 1) + [429]
    page.set_viewport_size(PHONE_VIEW)
    page.goto(f"{console}/r/report/{COMMUNITY}")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#report-message")).to_contain_text("请求验证码过于频繁")
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "resident-report-limited.png"), full_page=True)


def test_a_scanner_or_a_stranger_changes_nothing_and_finds_nothing(console, console_stack):
    """A link scanner's GET of every page acts on nothing; an unknown community or receipt
    is not found; the poster is for staff only."""
    for path in (f"/r/report/{COMMUNITY}", f"/r/report/{COMMUNITY}/units?building=jingxiang-b03"):
        assert requests.get(console + path, timeout=10).status_code == 200
    assert requests.get(f"{console}/r/report/nowhere", timeout=10).status_code == 404
    unknown = f"{console}/r/report/{COMMUNITY}/sent/{secrets.token_urlsafe(16)}"
    assert requests.get(unknown, timeout=10).status_code == 404
    poster = requests.get(f"{console}/areas/poster", allow_redirects=False, timeout=10)
    assert poster.status_code == 303 and poster.headers["Location"] == "/sign-in"


def test_staff_print_the_poster_and_its_qr_code_opens_the_page(page, console, sms):
    signed_in(page, console, sms, STAFF_2)
    page.goto(f"{console}/areas")
    page.locator("#poster-link").click()
    page.get_by_label("海报张贴位置").select_option("jingxiang-b03")
    page.get_by_role("button", name="生成海报").click()
    expect(page.locator("#poster-place")).to_contain_text("3栋")
    url = f"{console}/r/report/{COMMUNITY}?building=jingxiang-b03"
    expect(page.locator("#poster-url")).to_have_text(url)
    svg = page.locator("#poster-qr svg").evaluate("svg => svg.outerHTML")
    code = segno.make(url, error="m", micro=False)
    assert modules(svg) == {(x + 4, y + 4) for y, row in enumerate(code.matrix)
                            for x, dark in enumerate(row) if dark}  # fmt: skip
    page.emulate_media(media="print")
    expect(page.locator("header.bar")).to_be_hidden()
    expect(page.locator(".poster-controls")).to_be_hidden()
    page.screenshot(path=str(SCREENSHOTS / "console-poster.png"), full_page=True)
    printed = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", printed)) == 1  # one A4 sheet
    page.emulate_media(media="screen")
    scanned = requests.get(url, timeout=10)  # what a phone opens from the code
    assert scanned.status_code == 200 and 'value="jingxiang-b03"' in scanned.text
