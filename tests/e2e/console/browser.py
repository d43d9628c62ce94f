"""What the console's browser tests do as people would: sign in with the code the phone
got, report a case as an app would, act as the assignee's app.

The SMS gateway is a sink in the test process (conftest.py), so the code is read from
what the phone would show. Signing in costs a code, and a number may ask for five an hour
and one address for thirty (services/console/domain/limits.py): a test that is not about
signing in takes a session kept per person for the whole package (`signed_in`); the tests
of signing in itself use `sign_in`, which always asks for a new code.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from lianxin.privacy import mask_phone
from scripts.stack import Stack
from scripts.webhook_sink import Sink
from tests.e2e.conftest import admin_cli, ensure_community, helper_headers, wait_replicated
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
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
# The sample community's staff, as people.csv has them
STAFF = ("p-staff-1", "13807310700")
STAFF_2 = ("p-staff-2", "13807310707")
STAFF_3 = ("p-staff-3", "13807310714")
STAFF_4 = ("p-staff-4", "13807310721")
GRID_LEADER = ("p-g1-leader", "13807310336")  # sees jingxiang-g1 only
GRID_WORKER = ("p-g1-gw-1", "13807310343")  # sees jingxiang-g1 only
GRID_WORKER_2 = ("p-g2-gw-1", "13807310434")  # sees jingxiang-g2 only
SIGNING_IN = (STAFF, STAFF_2, STAFF_3, STAFF_4, GRID_LEADER, GRID_WORKER, GRID_WORKER_2)
COMMUNITY = "jingxiang"
CODE = re.compile(r"验证码为 (\d{6})")
SESSION_COOKIE = "lx_session"
LANDING = re.compile(r"^(工作台|我的案件)$")  # where staff and volunteers land on signing in

_sessions: dict[str, list] = {}  # person id → the cookies of their session, for `signed_in`


def close(page: Page) -> None:
    """Close a page the way that always returns. Headless Chromium sometimes never answers
    a close that arrives while a form's POST is still navigating the page (about one close
    in ten, measured by a probe that clicked the language switch and closed at once; 80 in
    80 returned with this): opening about:blank first ends that navigation. A test should
    still end on the page its last action opened — this only keeps one that does not from
    hanging the worker until pytest-timeout."""
    page.goto("about:blank")
    page.close()


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


def codes_so_far(sms: Sink) -> int:
    """How many codes (sign-in or a resident's) were texted so far: what a test that
    asserts "no code was sent" counts, since the services text offers and reminders of
    earlier tests' cases meanwhile."""
    with sms.lock:
        return sum(1 for m in sms.messages if m["channel"] == "sms" and CODE.search(m["text"]))


def ask_for_code(page: Page, console: str, phone: str) -> None:
    page.goto(f"{console}/sign-in")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sign-in-message")).to_contain_text("验证码已发送")


def sign_in(page: Page, console: str, sms: Sink, person=STAFF) -> None:
    """Sign in with a new code, as a person does at the start of the day. A code that has
    not come within its wait is asked for again, as the person would press "another
    code" (notify sends a code once: a send that timed out under load is not retried)."""
    before = sent_so_far(sms)
    ask_for_code(page, console, person[1])
    try:
        code = code_for(sms, person[1], before)
    except pytest.fail.Exception:
        before = sent_so_far(sms)
        page.get_by_role("button", name="重新获取验证码").click()
        code = code_for(sms, person[1], before)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name=LANDING)).to_be_visible()
    _sessions[person[0]] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def signed_in(page: Page, console: str, sms: Sink, person=STAFF) -> None:
    """The person's session in this browser: the one kept from an earlier test while it
    stands, else a new sign-in. Ends on the home page."""
    kept = _sessions.get(person[0])
    if kept:
        page.context.add_cookies(kept)
        page.goto(f"{console}/")
        if page.get_by_role("heading", name=LANDING).is_visible():
            return
        page.context.clear_cookies()
    sign_in(page, console, sms, person)


def report(
    stack: Stack,
    description: str,
    community: str = COMMUNITY,
    grid="jingxiang-g2",
    attachments: list[str] | None = None,
):
    """A case cases could not map (it waits in the triage queue), reported with the e2e
    helper key, as an app would (with the photos it uploaded, if any)."""
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
            "attachments": attachments or [],
        },
        headers=helper_headers(stack),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def volunteer_headers(stack: Stack, person_id: str) -> dict[str, str]:
    """The assignee's app: the helper key and the person's token, as a volunteer's app acts."""
    return person_headers(stack, person_id, "volunteer")


def person_headers(stack: Stack, person_id: str, role: str) -> dict[str, str]:
    """The helper key acting for a person in a role (a staff app, a volunteer's app)."""
    made = admin_cli(
        stack, "keys", "create", "--name", "e2e-console-tokens", "--community", "*",
        "--scope", "tokens",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    wait_replicated(stack, key.split("_")[1])
    answer = requests.post(
        f"{stack.url('cases')}/v1/person-tokens",
        json={"person_id": person_id, "role": role, "communities": [COMMUNITY]},
        headers={"X-Api-Key": key},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return {**helper_headers(stack), "X-Lianxin-Person": answer.json()["token"]}


def requests_case(stack: Stack, case_id: str) -> dict:
    return requests.get(
        f"{stack.url('cases')}/v1/cases/{case_id}", headers=helper_headers(stack), timeout=10
    ).json()


# a volunteer's duty and hours (test_volunteer_duty.py): a green vest of grid 3, with a household
VOLUNTEER_DUTY = ("p-g3-green-1", "13807310567")
VOLUNTEER_DUTY_HOUSEHOLD = "jingxiang-b42-u1-201"
# -- the volunteers' case pages (test_volunteer_cases.py) ------------------------------------
# Two volunteers of the package's own, without quiet hours (the sample's volunteers keep
# 22:30–06:30, which would hold their messages at night) and on no rota (nobody offers them
# a case but staff assigning one): imported once per stack by `seed_volunteers`.
VOLUNTEER = ("p-e2e-vol-1", "13807319901")
VOLUNTEER_2 = ("p-e2e-vol-2", "13807319902")
VOLUNTEERS = (VOLUNTEER, VOLUNTEER_2)
PHONE_VIEWPORT = {"width": 375, "height": 667}


def seed_volunteers(stack: Stack, mongo_client, state_dir: Path) -> None:
    """Import VOLUNTEERS as an operator would, then wait until the console and cases
    know them (sign-in; assigning a case to them)."""
    if getattr(stack, "volunteers_seeded", False):
        return
    rows = [
        f"{person_id},{COMMUNITY},志愿者{n},{phone},volunteer,repair_crew,,jingxiang-g2,,"
        f"sms:{phone},,,true"
        for n, (person_id, phone) in enumerate(VOLUNTEERS, 1)
    ]
    header = ("id,community,name,phone,roles,teams,skills,home_grids,max_open_cases,contacts,"
              "quiet_hours,household,active")  # fmt: skip
    people = state_dir / "people.csv"
    people.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    imported = admin_cli(stack, "roster", "import", str(people))
    assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
    for service, collection in (("console", "people"), ("cases", "person_access")):
        known = mongo_client[f"{stack.db_prefix}{service}"][collection]
        for person_id, _ in VOLUNTEERS:
            wait_until(
                f"{service} to know {person_id}", partial(known.find_one, {"_id": person_id})
            )
    stack.volunteers_seeded = True


def texts_to(sms: Sink, phone: str) -> list[str]:
    """The SMS texts the phone received so far, oldest first."""
    shown = f"to {mask_phone(phone)}:"
    with sms.lock:
        texts = [m["text"] for m in sms.messages if m["channel"] == "sms"]
    return [text for text in texts if text.startswith(shown)]
