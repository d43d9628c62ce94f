"""The staff console in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
`make infra`), driven by Playwright, on a stack of its own whose SMS gateway is a sink in
this process, so the sign-in code is read from what the phone would show.

Every service runs once (no replicas: nothing here is about competing consumers), in a
vhost and database prefix of this module's own. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from lianxin.privacy import mask_phone
from scripts.broker_users import BrokerUsers
from scripts.stack import CONSOLE, SERVICES, Stack
from scripts.webhook_sink import Sink, handler_for
from tests.conftest import MONGO_URI, RUN_ID, add_vhost, rabbitmqctl
from tests.e2e.conftest import (
    SIGNING_SECRET,
    admin_cli,
    ensure_community,
    helper_headers,
    import_sample_community,
    new_stack,
    wait_for_state,
    wait_replicated,
)
from tests.ports import free_base
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# What a closed network needs of Chromium: nothing that phones home or updates itself
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The sample community's staff, as people.csv has them: the tests share them out, as each
# number may ask for five codes an hour (services/console/domain/limits.py)
STAFF = ("p-staff-1", "13807310700")
STAFF_2 = ("p-staff-2", "13807310707")
STAFF_3 = ("p-staff-3", "13807310714")
STAFF_4 = ("p-staff-4", "13807310721")
GRID_WORKER = ("p-g1-gw-1", "13807310343")  # sees jingxiang-g1 only
COMMUNITY = "jingxiang"
CODE = re.compile(r"验证码为 (\d{6})")


@pytest.fixture(scope="module")
def sms() -> Iterator[Sink]:
    """The SMS gateway: keeps what each phone would show."""
    receiver = Sink(SIGNING_SECRET, fail_first=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(receiver))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield receiver
    server.shutdown()


@pytest.fixture(scope="module")
def console_stack(
    broker_users: BrokerUsers, mongo_client, sms, tmp_path_factory
) -> Iterator[Stack]:
    vhost = f"lianxin-test-{RUN_ID}-console"
    amqp_uri = add_vhost(vhost)
    broker_users.grant(vhost)
    prefix = f"t{RUN_ID}c_"
    made = new_stack(amqp_uri, broker_users, MONGO_URI, prefix, tmp_path_factory.mktemp("c"), sms)
    made.replicas = 1
    made.base_port = 0
    made.base_port = free_base(made.ports())
    made.env |= {
        "NOTIFY_SMS_URL": sms.url.replace("/hooks", "/sms"),
        "NOTIFY_SMS_API_KEY": "console-test-sms-gateway",
    }
    try:
        made.up()
        import_sample_community(made)
        yield made
    finally:
        made.down()
        rabbitmqctl("delete_vhost", vhost)
        for name in mongo_client.list_database_names():
            if name.startswith(prefix):
                mongo_client.drop_database(name)


@pytest.fixture(scope="module")
def console(console_stack, mongo_client) -> str:
    """The console's address, once it knows the sample community's people."""
    people = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    wait_until("the console to know the staff", lambda: people.find_one({"_id": STAFF[0]}))
    return console_stack.url(CONSOLE)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `make infra` installs Debian's chromium")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    browser_context.clear_cookies()
    opened = browser_context.new_page()
    yield opened
    opened.close()


def code_for(sms: Sink, phone: str, before: int) -> str:
    """The code the phone received after the first `before` messages."""
    shown = f"to {mask_phone(phone)}:"

    def arrived() -> str | None:
        with sms.lock:
            texts = [m["text"] for m in sms.messages[before:] if m["channel"] == "sms"]
        found = [CODE.search(text) for text in texts if text.startswith(shown)]
        return found[-1].group(1) if found and found[-1] else None

    return wait_until(f"a sign-in code for {mask_phone(phone)}", arrived, timeout=20)


def sent_so_far(sms: Sink) -> int:
    with sms.lock:
        return len(sms.messages)


def ask_for_code(page: Page, console: str, phone: str) -> None:
    page.goto(f"{console}/sign-in")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sign-in-message")).to_contain_text("验证码已发送")


def sign_in(page: Page, console: str, sms: Sink, person=STAFF) -> None:
    before = sent_so_far(sms)
    ask_for_code(page, console, person[1])
    page.get_by_label("短信验证码").fill(code_for(sms, person[1], before))
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def report(stack: Stack, description: str, community: str = COMMUNITY, grid="jingxiang-g2"):
    """A case cases could not map (it waits in the triage queue), reported with the e2e
    helper key, as an app would."""
    if community != COMMUNITY:
        ensure_community(stack, community)
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json={
            "description": description,
            "community_id": community,
            "channel": "app",
            "location": {"grid_id": grid},  # test communities have the sample's grids
            "reporter": {"name": "李大爷", "phone": "13812345678"},
        },
        headers=helper_headers(stack),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


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
    page.evaluate("htmx.ajax('GET', '/home/figures', '#figures')")
    expect(page.locator("#figure-triage strong")).to_have_text(str(waiting + 1))
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


def test_work_a_case_from_the_triage_queue_through_assign_and_verify(
    page, console, sms, console_stack
):
    case = report(console_stack, "小区门口有点情况请来看看 something odd at the gate")
    assert case["state"] == "reported", case
    emergency = report(console_stack, "3栋楼道着火了，有浓烟 fire and smoke in the stairwell")
    sign_in(page, console, sms, STAFF_2)
    page.get_by_role("link", name="待分类").first.click()
    rows = page.locator("#triage-queue tbody tr")
    expect(rows.filter(has_text=case["number"])).to_have_count(1)
    if emergency["state"] == "reported":  # emergencies lead the queue, marked
        expect(rows.first).to_contain_text(emergency["number"])
        expect(rows.first.locator(".emergency")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-triage.png"), full_page=True)
    page.get_by_role("link", name=case["number"]).click()
    page.get_by_label("类别").select_option("parking.fire_lane")
    page.get_by_role("button", name="分类并派遣").click()
    expect(page.locator("#done")).to_contain_text("已分类")
    wait_for_state(console_stack, case["id"], "dispatched")
    page.reload()
    expect(page.locator("#form-assign select")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-case.png"), full_page=True)
    page.get_by_role("button", name="指派").click()
    expect(page.locator("#done")).to_contain_text("已指派")
    assignee = wait_for_state(console_stack, case["id"], "dispatched")["assignee"]
    volunteer = volunteer_headers(console_stack, assignee)
    for action, body in (("accept", {}), ("resolve", {"resolution": "车已挪走"})):
        answer = requests.post(
            f"{console_stack.url('cases')}/v1/cases/{case['id']}/{action}",
            json=body, headers=volunteer, timeout=10,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
    page.reload()
    page.get_by_label("备注").fill("已现场核实")
    page.get_by_role("button", name="核查通过").click()
    expect(page.locator("#done")).to_contain_text("已核查结案")
    expect(page.locator("#case-state")).to_have_text("已结案")  # cases' word, as staff say it
    expect(page.locator("#case-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("ol.timeline")).to_contain_text("核查 → 已结案")
    page.screenshot(path=str(SCREENSHOTS / "console-case-closed.png"), full_page=True)


def volunteer_headers(stack: Stack, person_id: str) -> dict[str, str]:
    """The assignee's app: the helper key and the person's token, as a volunteer's app acts."""
    made = admin_cli(
        stack, "keys", "create", "--name", "e2e-console-tokens", "--community", "*",
        "--scope", "tokens",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    wait_replicated(stack, key.split("_")[1])
    answer = requests.post(
        f"{stack.url('cases')}/v1/person-tokens",
        json={"person_id": person_id, "role": "volunteer", "communities": [COMMUNITY]},
        headers={"X-Api-Key": key},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return {**helper_headers(stack), "X-Lianxin-Person": answer.json()["token"]}


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


def test_five_wrong_codes_lock_the_code(page, console, sms):
    before = sent_so_far(sms)
    ask_for_code(page, console, GRID_WORKER[1])
    code = code_for(sms, GRID_WORKER[1], before)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(5):
        page.get_by_label("短信验证码").fill(wrong)
        page.get_by_role("button", name="登录", exact=True).click()
        expected = "错误次数过多" if attempt == 4 else "验证码不正确"
        expect(page.locator("#sign-in-message")).to_contain_text(expected)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("#sign-in-message")).to_contain_text("错误次数过多")
    page.screenshot(path=str(SCREENSHOTS / "console-locked.png"), full_page=True)
    assert not any(c["name"] == "lx_session" for c in page.context.cookies())


def test_another_communitys_case_is_not_shown_and_its_url_is_404(
    page, console, sms, console_stack
):
    other = report(console_stack, "别的社区的情况 elsewhere", community=f"cx-{RUN_ID}")
    mine = report(console_stack, "我们社区的情况 ours")
    sign_in(page, console, sms, STAFF_4)
    page.goto(f"{console}/triage")
    expect(page.locator("#triage-queue")).to_contain_text(mine["number"])
    expect(page.locator("#triage-queue")).not_to_contain_text(other["number"])
    answer = page.goto(f"{console}/cases/{other['id']}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()


def test_a_grid_worker_sees_only_their_grid(page, console, sms, console_stack):
    elsewhere = report(console_stack, "二网格的情况 in grid two", grid="jingxiang-g2")
    sign_in(page, console, sms, GRID_WORKER)
    answer = page.goto(f"{console}/cases/{elsewhere['id']}")
    assert answer is not None and answer.status == 404


def test_a_grid_worker_works_on_a_phone_without_scrolling_sideways(
    page, console, sms, console_stack
):
    """Grid workers carry phones: every page fits a 390-pixel screen, its text in Chinese."""
    mine = report(console_stack, "一网格楼道灯不亮 phone check", grid="jingxiang-g1")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, console, sms, GRID_WORKER)
    for path, name in (("/", "home"), ("/triage", "triage"), (f"/cases/{mine['id']}", "case")):
        page.goto(f"{console}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
        page.screenshot(path=str(SCREENSHOTS / f"console-phone-{name}.png"), full_page=True)
    expect(page.locator("h1")).to_contain_text(mine["number"])


def test_a_get_never_changes_anything(page, console, sms, console_stack, mongo_client):
    case = report(console_stack, "只是看看不动 look only")
    sign_in(page, console, sms)
    databases = [f"{console_stack.db_prefix}{service}" for service in SERVICES]

    def snapshot() -> dict[str, int]:
        return {
            f"{name}.{collection}": mongo_client[name][collection].count_documents({})
            for name in databases
            for collection in mongo_client[name].list_collection_names()
            if collection != "leases"
        }

    def settled() -> dict[str, int] | None:  # the report's events are all consumed
        first = snapshot()
        time.sleep(1.0)
        return first if snapshot() == first else None

    before = wait_until("the console_stack to settle", settled, timeout=30)
    version = requests_case(console_stack, case["id"])["version"]
    for path in ("/", "/home/figures", "/triage", f"/cases/{case['id']}",
                 f"/cases/{case['id']}/verify", "/sign-out", "/lists/overdue"):  # fmt: skip
        page.goto(f"{console}{path}")
    assert requests_case(console_stack, case["id"])["version"] == version
    assert snapshot() == before


def requests_case(stack: Stack, case_id: str) -> dict:
    return requests.get(
        f"{stack.url('cases')}/v1/cases/{case_id}", headers=helper_headers(stack), timeout=10
    ).json()


def test_a_form_without_its_csrf_token_is_refused(page, console, sms, console_stack):
    case = report(console_stack, "没有令牌的表单 no token")
    sign_in(page, console, sms, STAFF_2)
    page.goto(f"{console}/cases/{case['id']}")
    page.locator("#form-reject input[name=csrf]").evaluate("input => input.remove()")
    page.get_by_label("原因").fill("不属于本社区")
    with page.expect_response(f"{console}/cases/{case['id']}/reject") as answer:
        page.get_by_role("button", name="退单").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="请求被拒绝")).to_be_visible()
    assert requests_case(console_stack, case["id"])["state"] == "reported"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = requests.post(
        f"{console}/cases/{case['id']}/reject",
        data={"reason": "x", "csrf": "forged"},
        cookies=cookies,
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 403
    assert requests_case(console_stack, case["id"])["state"] == "reported"


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

