"""A volunteer on the rota of a grid that is not their home grid (我的值班 at a phone's
375×667): the page reads the person's week from roster (`GET /v1/people/{id}/duty-week`),
so the neighbouring grid's shifts show, named by their grid, and the volunteer signs in
to that rota and out again, each recorded once. Attacks: forged forms naming a rota not
theirs — their own team's rota of their home grid included, which roster alone would
take from a member of the team —, without the CSRF token, and a GET; each changes
nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from functools import partial

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.e2e.conftest import admin_cli
from tests.e2e.console.browser import COMMUNITY, SCREENSHOTS, signed_in
from tests.e2e.console.test_duty import form_data
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 667}
TEAM = "e2e_evening_watch"
VOLUNTEER = ("p-e2e-watch-1", "13807319911")  # lives in grid 2
COLLEAGUE = "p-e2e-watch-2"  # of the same team, on grid 2's rota
ROTA = f"{COMMUNITY}-g1:{TEAM}"  # grid 1's: the volunteer's
HOME_ROTA = f"{COMMUNITY}-g2:{TEAM}"  # their home grid's, of their team, but not theirs
OTHERS_ROTA = f"{COMMUNITY}-g1:red_vests"  # another team's
GRID_1 = "第一网格（1–16栋）"


def watch(person_id: str, phone: str, n: int) -> dict:
    return {"id": person_id, "community": COMMUNITY, "name": f"巡查员{n}", "phone": phone,
            "roles": ["volunteer"], "teams": [TEAM], "home_grids": [f"{COMMUNITY}-g2"],
            "contacts": [f"sms:{phone}"]}  # fmt: skip


def rota(rota_id: str, grid: str, person_id: str) -> dict:
    """Two hours every evening from 19:00, in the community's zone."""
    return {"id": rota_id, "community": COMMUNITY, "team": TEAM, "grids": [grid],
            "starts": (date.today() - timedelta(days=10)).isoformat(),
            "slots": ["FREQ=DAILY;BYHOUR=19 for 2h"], "crews": [[person_id]]}  # fmt: skip


@pytest.fixture(scope="module")
def evening_watch(console_stack, mongo_client, tmp_path_factory) -> None:
    """A team of the package's own (no categories: it is offered no case) whose grid-1
    rota is the volunteer's, imported as an operator imports; the console knows them."""
    document = {
        "teams": [{"community": COMMUNITY, "code": TEAM, "name": "晚间巡查", "categories": [],
                   "grids": [f"{COMMUNITY}-g1", f"{COMMUNITY}-g2"]}],
        "people": [watch(*VOLUNTEER, 1), watch(COLLEAGUE, "13807319912", 2)],
        "rotas": [rota(ROTA, f"{COMMUNITY}-g1", VOLUNTEER[0]),
                  rota(HOME_ROTA, f"{COMMUNITY}-g2", COLLEAGUE)],
    }  # fmt: skip
    path = tmp_path_factory.mktemp("watch") / "evening-watch.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    imported = admin_cli(console_stack, "roster", "import", str(path))
    assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
    people = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    known = partial(people.find_one, {"_id": VOLUNTEER[0]})
    wait_until(f"the console to know {VOLUNTEER[0]}", known)


@pytest.fixture
def volunteer(evening_watch, page: Page, console: str, sms) -> Page:
    page.set_viewport_size(PHONE)
    signed_in(page, console, sms, VOLUNTEER)
    return page


def attendance(console_stack, mongo_client) -> list[tuple[str, str]]:
    """The volunteer's sign-ins and sign-outs as roster recorded them: (rota, kind)."""
    found = mongo_client[f"{console_stack.db_prefix}roster"]["attendance"]
    return sorted((a["rota_id"], a["kind"]) for a in found.find({"person_id": VOLUNTEER[0]}))


def test_the_shifts_of_a_neighbouring_grids_rota_show_and_the_volunteer_signs_in_to_it(
    volunteer, console, console_stack, mongo_client
):
    volunteer.goto(f"{console}/my/duty")
    shifts = volunteer.locator(f"#my-shifts li.shift[data-rota='{ROTA}']")
    expect(shifts).to_have_count(7)  # 19:00–21:00, Monday to Sunday
    expect(shifts.first.locator(".hours")).to_have_text("19:00–21:00")
    assert volunteer.locator(f"li.shift[data-rota='{HOME_ROTA}']").count() == 0
    mine = volunteer.locator(f".my-rota[data-rota='{ROTA}']")
    expect(mine.locator(".where")).to_have_text(GRID_1)
    expect(mine).to_contain_text("晚间巡查")
    expect(volunteer.locator("#shifts-where")).to_have_text(GRID_1)  # where the week's shifts are
    expect(volunteer.locator(f".my-rota[data-rota='{HOME_ROTA}']")).to_have_count(0)
    assert volunteer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    volunteer.screenshot(
        path=str(SCREENSHOTS / "volunteer-duty-week-neighbouring-grid.png"), full_page=True
    )
    before = attendance(console_stack, mongo_client)
    mine.get_by_role("button", name="签到").click()
    expect(volunteer.locator("#done")).to_have_text("已签到。")
    expect(mine.locator(".checked-in")).to_contain_text("已签到")
    assert attendance(console_stack, mongo_client) == sorted([*before, (ROTA, "check_in")])
    volunteer.screenshot(
        path=str(SCREENSHOTS / "volunteer-duty-week-signed-in.png"), full_page=True
    )
    mine.get_by_role("button", name="签退").click()
    expect(volunteer.locator("#done")).to_have_text("已签退。")
    expect(mine.get_by_role("button", name="签到")).to_be_visible()
    assert attendance(console_stack, mongo_client) == sorted(
        [*before, (ROTA, "check_in"), (ROTA, "check_out")]
    )
    shown = volunteer.locator("#week-shown").inner_text()
    volunteer.locator("#next-week").click()  # a week ahead: its shifts, no sign-in
    expect(volunteer.locator("#week-shown")).not_to_have_text(shown)
    expect(volunteer.locator("#duty-now")).to_have_count(0)
    expect(shifts).to_have_count(7)
    expect(volunteer.locator("#shifts-where")).to_have_text(GRID_1)
    volunteer.locator("#previous-week").click()
    expect(volunteer.locator("#week-shown")).to_have_text(shown)
    volunteer.get_by_role("button", name="English").click()
    expect(mine.get_by_role("button", name="Sign in for duty")).to_be_visible()
    expect(mine.locator(".where")).to_have_text(GRID_1)
    volunteer.get_by_role("button", name="中文").click()
    # the test ends on the page the switch opened, never while it is still loading
    expect(mine.get_by_role("button", name="签到")).to_be_visible()


def test_a_forged_form_naming_a_rota_not_theirs_changes_nothing(
    volunteer, console, console_stack, mongo_client
):
    volunteer.goto(f"{console}/my/duty")
    sent = form_data(volunteer, f".my-rota[data-rota='{ROTA}'] form[action='/my/duty/check-in']")
    before = attendance(console_stack, mongo_client)
    for rota_id in (HOME_ROTA, OTHERS_ROTA, "nowhere:no_team"):
        forged = {**sent, "rota_id": rota_id, "form_key": uuid.uuid4().hex}
        for action in ("check-in", "check-out"):
            answer = volunteer.request.post(f"{console}/my/duty/{action}", form=forged)
            assert answer.status == 404, (rota_id, action, answer.status)
    no_token = {k: v for k, v in sent.items() if k != "csrf"} | {"form_key": uuid.uuid4().hex}
    assert volunteer.request.post(f"{console}/my/duty/check-in", form=no_token).status == 403
    assert volunteer.request.get(f"{console}/my/duty/check-in?rota_id={ROTA}").status == 405
    assert attendance(console_stack, mongo_client) == before
    overrides = mongo_client[f"{console_stack.db_prefix}roster"]["rota_overrides"]
    assert not [o for o in (overrides.find_one({"_id": HOME_ROTA}) or {}).get("overrides", [])
                if o["person_id"] == VOLUNTEER[0]]  # fmt: skip
