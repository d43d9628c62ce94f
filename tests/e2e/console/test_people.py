"""People, areas and imports in the console, in a real browser: a file with a bad row is
checked (the row and why shown, nothing stored), fixed and applied; a grid worker cannot
import, through the console or through roster with the console's kind of key; another
community's staff see none of this community's people; phone numbers stay masked."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from scripts.stack import Stack
from tests.conftest import RUN_ID
from tests.e2e.conftest import admin_cli, helper_headers, wait_replicated
from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_WORKER,
    SCREENSHOTS,
    STAFF,
    signed_in,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

HEADER = "id,community,name,phone,roles,home_grids,contacts\n"
NEW = (f"p-e2e-{RUN_ID}-a", "韩梅梅", "13907310001")
BAD = (f"p-e2e-{RUN_ID}-b", "李雷", "1390731000x")  # a letter in the phone number
FIXED = (BAD[0], BAD[1], "13907310002")


def people_csv(*people: tuple[str, str, str]) -> str:
    rows = [f"{pid},{COMMUNITY},{name},{phone},volunteer,jingxiang-g2,sms:{phone}\n"
            for pid, name, phone in people]  # fmt: skip
    return HEADER + "".join(rows)


def roster_person(stack: Stack, person_id: str, key: str) -> requests.Response:
    return requests.get(
        f"{stack.url('roster')}/v1/people/{person_id}", headers={"X-Api-Key": key}, timeout=10
    )


def upload(page: Page, name: str, text: str) -> None:
    page.get_by_label("导入文件").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="检查（不保存）").click()


@pytest.fixture(scope="module")
def admin(console_stack) -> str:
    """An operator's key, to read roster unmasked: what it stored, exactly."""
    return new_key(console_stack, "e2e-people-admin", "admin")


def test_a_file_with_a_bad_row_is_checked_storing_nothing_then_fixed_and_applied(
    page, console, sms, console_stack, admin
):
    signed_in(page, console, sms, STAFF)
    page.get_by_role("link", name="导入").click()
    with page.expect_response(f"{console}/imports") as answer:
        upload(page, "people.xlsx", people_csv(NEW))
    assert answer.value.status == 400
    expect(page.locator("#import-file-error")).to_contain_text("只能导入 .csv、.yaml 或 .yml 文件")
    expect(page.get_by_label("导入文件")).to_have_attribute("aria-invalid", "true")
    upload(page, "people.csv", people_csv(NEW, BAD))
    rejected = page.locator("#import-rejected tbody tr")  # a line per reason
    expect(rejected.filter(has_text="Digits only.")).to_contain_text("people.csv:3")
    expect(rejected.filter(has_text="Digits only.").locator("td").nth(2)).to_have_text("phone")
    assert all("people.csv:3" in row for row in rejected.all_inner_texts())  # the bad row only
    expect(page.locator("#check-rejected")).to_be_visible()
    expect(page.locator("#apply-form")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "console-import-rejected.png"), full_page=True)
    for person_id, *_ in (NEW, BAD):  # nothing stored, not even the good row
        assert roster_person(console_stack, person_id, admin).status_code == 404

    upload(page, "people.csv", people_csv(NEW, FIXED))
    expect(page.locator("#check-clean")).to_be_visible()
    expect(page.locator("#count-people")).to_contain_text("2")
    assert roster_person(console_stack, NEW[0], admin).status_code == 404  # checked only
    page.screenshot(path=str(SCREENSHOTS / "console-import-checked.png"), full_page=True)
    replay = {
        "csrf": page.locator("#apply-form input[name=csrf]").input_value(),
        "upload": page.locator("#apply-form input[name=upload]").input_value(),
    }
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#applied")).to_be_visible()
    expect(page.locator("#count-people td").last).to_have_text("2")
    page.screenshot(path=str(SCREENSHOTS / "console-import-applied.png"), full_page=True)
    stored = roster_person(console_stack, FIXED[0], admin)
    assert stored.status_code == 200 and stored.json()["phone"] == FIXED[2]

    again = page.request.post(f"{console}/imports/apply", form=replay, max_redirects=0)
    assert again.status == 409  # applied once; a replayed form applies nothing
    forged = page.request.post(f"{console}/imports/apply", form={**replay, "csrf": "x"},
                               max_redirects=0)  # fmt: skip
    assert forged.status == 403

    file = {"name": "people.csv", "mimeType": "text/csv", "buffer": people_csv(NEW).encode()}
    unsigned = page.request.post(f"{console}/imports", multipart={"file": file}, max_redirects=0)
    assert unsigned.status == 403  # a form without its CSRF token checks nothing
    assert page.request.get(f"{console}/imports/apply", max_redirects=0).status == 405

    page.goto(f"{console}/people?q={NEW[0]}")
    row = page.locator(f"#person-{NEW[0]}")
    expect(row).to_contain_text("韩*")
    expect(row).to_contain_text("139****0001")
    page.goto(f"{console}/people")
    expect(page.locator("#people")).to_contain_text("138****0343")  # the sample's p-g1-gw-1
    source = page.content()
    assert not re.search(r"1[3-9]\d{9}", source), "a whole phone number in the page source"
    page.screenshot(path=str(SCREENSHOTS / "console-people.png"), full_page=True)
    first = page.locator("#people tbody tr").first.get_attribute("id")
    page.locator("#people-next").click()  # the sample's 103 people and more: pages of 50
    expect(page.locator("#people tbody tr").first).not_to_have_attribute("id", first or "")
    expect(page.locator("#people tbody tr")).not_to_have_count(0)
    page.goto(f"{console}/areas")
    expect(page.locator("#area-jingxiang-g3")).to_contain_text("第三网格")
    page.screenshot(path=str(SCREENSHOTS / "console-people-areas.png"), full_page=True)
    page.goto(f"{console}/people/{NEW[0]}")
    expect(page.locator("#person-phone")).to_have_text("139****0001")
    assert NEW[2] not in page.content()
    page.context.add_cookies([{"name": "lx_lang", "value": "en", "url": console}])
    page.goto(f"{console}/imports")
    expect(page.get_by_role("heading", name="Import people and areas")).to_be_visible()
    expect(page.locator("#applied")).to_have_text("Imported.")


def test_a_grid_worker_cannot_import_through_the_console_or_roster(
    page, console, sms, console_stack, admin
):
    signed_in(page, console, sms, GRID_WORKER)
    expect(page.get_by_role("link", name="人员")).to_be_visible()
    expect(page.get_by_role("link", name="导入")).to_have_count(0)
    assert page.goto(f"{console}/imports").status == 403
    page.goto(f"{console}/people")
    csrf = page.locator("form[action='/sign-out'] input[name=csrf]").input_value()
    text = people_csv((f"p-e2e-{RUN_ID}-gw", "网格员加的人", "13907310003"))
    file = {"name": "people.csv", "mimeType": "text/csv", "buffer": text.encode()}
    refused = page.request.post(f"{console}/imports", multipart={"csrf": csrf, "file": file},
                                max_redirects=0)  # fmt: skip
    assert refused.status == 403

    # roster itself: a key that may act in every community (as the console's) imports
    # nothing on its own, nor with a grid worker's token, dry run or not
    url = f"{console_stack.url('roster')}/v1/imports/file"
    key = helper_headers(console_stack)
    worker = {**key, "X-Lianxin-Person": person_token(console_stack, GRID_WORKER[0])}
    for headers in (key, worker):
        for dry_run in ("true", "false"):
            body = {"name": "people.csv", "text": text}
            answer = requests.post(url, params={"dry_run": dry_run}, headers=headers, json=body,
                                   timeout=10)  # fmt: skip
            assert answer.status_code == 403, answer.text
    assert roster_person(console_stack, f"p-e2e-{RUN_ID}-gw", admin).status_code == 404

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/people", "/areas"):
        page.goto(f"{console}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    expect(page.locator("#area-tree")).to_contain_text("jingxiang-g1")
    expect(page.locator("#area-tree")).not_to_contain_text("jingxiang-g2")
    page.screenshot(path=str(SCREENSHOTS / "console-people-areas-phone.png"), full_page=True)
    page.goto(f"{console}/people")
    grids = page.locator("#people tbody tr td:nth-child(5)")
    expect(grids.first).to_contain_text("jingxiang-g1")
    assert all("jingxiang-g1" in cell for cell in grids.all_inner_texts())
    assert page.goto(f"{console}/people/p-g2-gw-1").status == 404  # another grid's worker


def test_another_communitys_staff_see_none_of_this_communitys_people(
    page, console, sms, console_stack, tmp_path, mongo_client
):
    other = f"ox{RUN_ID}"
    staff = (f"p-{other}-staff", "13907319001")
    (tmp_path / "areas.csv").write_text(
        "code,kind,parent,name,timezone\n"
        f"{other},community,yuhuating,另一社区,Asia/Shanghai\n"
        f"{other}-g1,grid,{other},另一网格,\n",
        encoding="utf-8",
    )
    (tmp_path / "people.csv").write_text(
        f"{HEADER}{staff[0]},{other},周员,{staff[1]},staff,{other}-g1,sms:{staff[1]}\n",
        encoding="utf-8",
    )
    made = admin_cli(console_stack, "roster", "import", str(tmp_path))
    assert made.returncode == 0, made.stdout + made.stderr
    known = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    wait_until("the console to know the other staff", lambda: known.find_one({"_id": staff[0]}))

    signed_in(page, console, sms, staff)
    page.goto(f"{console}/people")
    expect(page.locator("#people-total")).to_contain_text("1")
    expect(page.locator("#people")).not_to_contain_text("p-g1-gw-1")
    page.goto(f"{console}/people?grid_id=jingxiang-g1")
    expect(page.locator("#people-total")).to_contain_text("0")
    assert page.goto(f"{console}/people/p-g1-gw-1").status == 404
    page.goto(f"{console}/areas")
    expect(page.locator("#area-tree")).to_contain_text(f"{other}-g1")
    expect(page.locator("#area-tree")).not_to_contain_text("jingxiang")

    page.goto(f"{console}/imports")  # a row of this community, written from the other one
    csrf = page.locator("form[action='/sign-out'] input[name=csrf]").input_value()
    with page.expect_response(f"{console}/imports") as answer:
        upload(page, "people.csv", people_csv(("p-g1-gw-1", "尹秋菊", "13807310343")))
    assert answer.value.status == 403  # roster's refusal, dry run too
    expect(page.get_by_role("alert")).to_contain_text("操作未执行")
    borrowed = page.request.post(f"{console}/imports/apply", max_redirects=0,
                                 form={"csrf": csrf, "upload": "a" * 64})  # fmt: skip
    assert borrowed.status == 409  # nothing this session checked: no one else's upload
    sample = requests.get(f"{console_stack.url('roster')}/v1/people/p-g1-gw-1",
                          headers=helper_headers(console_stack), timeout=10)  # fmt: skip
    assert sample.json()["community_id"] == COMMUNITY


def person_token(stack: Stack, person_id: str) -> str:
    """A grid worker's token, as cases mints it for a key that may issue tokens."""
    key = new_key(stack, "e2e-people-tokens", "tokens")
    answer = requests.post(
        f"{stack.url('cases')}/v1/person-tokens",
        json={"person_id": person_id, "role": "grid_worker", "communities": [COMMUNITY]},
        headers={"X-Api-Key": key},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def new_key(stack: Stack, name: str, scope: str) -> str:
    made = admin_cli(stack, "keys", "create", "--name", name, "--community", "*",
                     "--scope", scope)  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    wait_replicated(stack, key.split("_")[1])
    return key
