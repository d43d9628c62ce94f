"""The case board (案件) in a real browser: its filters and pages, the CSV of the filtered
list, a grid's and a community's boundary, a private category's text, a phone's screen,
and the read model following cases' events after the page was built."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.conftest import RUN_ID
from tests.e2e.conftest import helper_headers
from tests.e2e.console.browser import (
    GRID_WORKER,
    SCREENSHOTS,
    STAFF,
    STAFF_3,
    report,
    signed_in,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
ROWS = "#board-table tbody tr"


def marker() -> str:
    """A word only this test's cases hold, so other tests' cases never count: letters only,
    since cases masks a run of digits as it would a phone number."""
    return "bd" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


def board(page: Page, console: str, query: str, expected: int) -> None:
    """Open the board with `query` until it lists `expected` rows (the read model follows
    cases' events within moments)."""

    def listed() -> bool:
        page.goto(f"{console}/cases?{query}")
        total = page.locator("#board-total strong").inner_text()
        return total == str(expected)

    wait_until(f"{expected} cases on the board for {query}", listed, timeout=30)


def report_in(stack, text: str, category: str | None = None, grid: str = "jingxiang-g1"):
    body = {
        "description": text,
        "community_id": "jingxiang",
        "channel": "app",
        "location": {"grid_id": grid},
        "reporter": {"name": "李大爷", "phone": "13812345678"},
    }
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json=body | ({"category": category} if category else {}),
        headers=helper_headers(stack),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_filters_narrow_the_board_and_its_pages_move(page, console, sms, console_stack):
    word = marker()
    cases = [
        report(console_stack, f"{word} 第{n}号 楼道杂物", grid=f"jingxiang-g{1 + n % 2}")
        for n in range(52)
    ]
    signed_in(page, console, sms, STAFF)
    board(page, console, f"q={word}", 52)
    expect(page.locator(ROWS)).to_have_count(50)
    expect(page.locator(ROWS).first).to_contain_text(cases[-1]["number"])  # newest first
    expect(page.locator("#page-number")).to_have_text("1 / 2")
    page.screenshot(path=str(SCREENSHOTS / "console-board.png"), full_page=True)
    page.get_by_role("link", name="下一页").click()
    expect(page.locator(ROWS)).to_have_count(2)
    expect(page.locator(ROWS).last).to_contain_text(cases[0]["number"])
    # by the form, as a person filters: the grid, then the text alone
    page.goto(f"{console}/cases")
    page.get_by_label("编号或内容").fill(word)
    page.get_by_label("网格").select_option("jingxiang-g2")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#board-total strong")).to_have_text("26")
    for grid in page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.grid)"):
        assert grid == "jingxiang-g2"
    page.goto(f"{console}/cases?q={cases[7]['number']}")
    expect(page.locator(ROWS)).to_have_count(1)
    page.goto(f"{console}/cases?q={word}&state=closed")
    expect(page.locator("#board-empty")).to_be_visible()
    answer = page.goto(f"{console}/cases?q={word}&state=nonsense&from=03/06")
    assert answer is not None and answer.status == 400
    expect(page.locator("#error-state")).to_be_visible()
    expect(page.locator("#error-from")).to_be_visible()
    expect(page.locator("#filter-state")).to_have_attribute("aria-invalid", "true")


def test_the_csv_holds_the_filtered_rows_and_neutralises_a_formula(
    page, console, sms, console_stack, mongo_client
):
    word = marker()
    formula = report(console_stack, f'=HYPERLINK("http://x.example/{word}","点我") {word}')
    plain = report(console_stack, f"{word} 电话 13812345678 楼下有垃圾")
    report(console_stack, f"{marker()} 不在筛选里")
    signed_in(page, console, sms, STAFF)
    board(page, console, f"q={word}", 2)
    with page.expect_download() as downloading:
        page.locator("#board-csv").click()
    text = downloading.value.path().read_text(encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert {line["number"] for line in lines} == {formula["number"], plain["number"]}
    by_number = {line["number"]: line for line in lines}
    assert by_number[formula["number"]]["description"].startswith("'=HYPERLINK")
    assert "13812345678" not in text and "138****5678" in by_number[plain["number"]]["description"]
    assert by_number[plain["number"]]["reported_at"].endswith("+08:00")
    # the read model keeps no reporter and no unmasked number (report() gives both)
    kept = mongo_client[f"{console_stack.db_prefix}console"]["board_rows"].find_one(
        {"_id": plain["id"]}
    )
    assert kept and "13812345678" not in str(kept) and "李大爷" not in str(kept)


def test_a_grid_worker_sees_only_their_grid_whatever_the_query_asks(
    page, console, sms, console_stack
):
    word = marker()
    mine = report(console_stack, f"{word} 一网格", grid="jingxiang-g1")
    theirs = report(console_stack, f"{word} 二网格", grid="jingxiang-g2")
    signed_in(page, console, sms, GRID_WORKER)
    board(page, console, f"q={word}", 1)
    expect(page.locator(ROWS)).to_contain_text(mine["number"])
    answer = page.goto(f"{console}/cases?q={word}&grid=jingxiang-g2")
    assert answer is not None and answer.status == 400  # not one of their grids
    expect(page.locator("#board-table")).not_to_contain_text(theirs["number"])
    page.goto(f"{console}/cases?q={theirs['number']}")
    expect(page.locator("#board-empty")).to_be_visible()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    exported = requests.get(f"{console}/cases.csv?q={word}", cookies=cookies, timeout=10)
    assert mine["number"] in exported.text and theirs["number"] not in exported.text
    widened = requests.get(
        f"{console}/cases.csv?q={word}&grid=jingxiang-g2", cookies=cookies, timeout=10
    )
    assert widened.status_code == 400 and theirs["number"] not in widened.text


def test_another_communitys_case_never_appears(page, console, sms, console_stack):
    word = marker()
    other = report(console_stack, f"{word} 别的社区", community=f"bx-{RUN_ID}")
    ours = report(console_stack, f"{word} 本社区")
    signed_in(page, console, sms, STAFF)
    board(page, console, f"q={word}", 1)
    expect(page.locator(ROWS)).to_contain_text(ours["number"])
    page.goto(f"{console}/cases?q={other['number']}")
    expect(page.locator("#board-empty")).to_be_visible()


def test_a_private_cases_text_shows_to_staff_alone(page, console, sms, console_stack):
    word = marker()
    case = report_in(console_stack, f"{word} 家里吵架需要调解", category="dispute.family")
    signed_in(page, console, sms, GRID_WORKER)
    board(page, console, f"q={case['number']}&private=yes", 1)
    expect(page.locator(ROWS)).not_to_contain_text("吵架")
    expect(page.locator(ROWS)).to_contain_text("仅社区工作人员可见")
    page.goto(f"{console}/cases?q={word}")  # its words find nothing for a grid worker
    expect(page.locator("#board-empty")).to_be_visible()
    signed_in(page, console, sms, STAFF)
    board(page, console, f"q={word}", 1)
    expect(page.locator(ROWS)).to_contain_text("家里吵架")


def test_a_case_changed_after_the_page_was_built_shows_its_new_state_on_reload(
    page, console, sms, console_stack
):
    word = marker()
    case = report(console_stack, f"{word} 小区门口有情况")
    signed_in(page, console, sms, STAFF_3)
    board(page, console, f"q={word}&state=reported", 1)
    expect(page.locator(ROWS)).to_contain_text("已上报")
    page.goto(f"{console}/cases/{case['id']}")
    page.get_by_label("类别").select_option("parking.fire_lane")
    page.get_by_role("button", name="分类并派遣").click()
    expect(page.locator("#done")).to_contain_text("已分类")
    board(page, console, f"q={word}&state=reported", 0)
    page.goto(f"{console}/cases?q={word}")
    expect(page.locator(ROWS)).not_to_contain_text("已上报")
    assert page.locator(ROWS).first.get_attribute("data-state") in ("triaged", "dispatched")
    page.get_by_role("link", name=case["number"]).click()
    expect(page.get_by_role("heading", name=case["number"])).to_be_visible()


def test_the_board_fits_a_phone_and_the_nav_leads_to_it(page, console, sms, console_stack):
    word = marker()
    report(console_stack, f"{word} 一网格路灯不亮 a long description " * 3, grid="jingxiang-g1")
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in(page, console, sms, GRID_WORKER)
    page.get_by_role("link", name="案件", exact=True).click()
    expect(page.get_by_role("heading", name="案件")).to_be_visible()
    board(page, console, f"q={word}", 1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the board is {width} px wide on a 390 px phone"
    page.screenshot(path=str(SCREENSHOTS / "console-board-phone.png"), full_page=True)


def test_a_figure_links_to_the_board_filtered_as_it_counts(page, console, sms, console_stack):
    report(console_stack, f"{marker()} 等待分类")
    signed_in(page, console, sms, STAFF)
    waiting = int(page.locator("#figure-triage strong").inner_text())
    page.locator("#figure-triage").click()
    expect(page.get_by_role("heading", name="待分类")).to_be_visible()
    expect(page.locator("#filter-state")).to_have_value("reported")
    assert int(page.locator("#board-total strong").inner_text()) >= waiting > 0
    redirected = page.goto(f"{console}/lists/verification")
    assert redirected is not None and "state=resolved" in redirected.url


@pytest.mark.parametrize("path", ["/cases", "/cases.csv", "/cases?state=reported"])
def test_the_board_needs_a_session(console, path):
    answer = requests.get(f"{console}{path}", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in"
    forged = requests.get(
        f"{console}{path}", headers={"X-Api-Key": "lx_x_y"}, allow_redirects=False, timeout=10
    )
    assert forged.status_code == 303
