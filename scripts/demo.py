"""A guided tour of the running local stack (`make run`): three ways a problem comes in,
and one case walked end to end, each step printed as it happens.

keys → community → hotline order, Open311 request, app report → triage → offer to the
volunteer on duty → the message they get → accept by its link → resolve with a person
token → staff check → the resident's rating → volunteer hours → statistics, Prometheus.

Safe to run again and again: the keys and the ids of the cases a run opens are kept in
var/run/demo.json (0600); keys are reused while cases accepts them; importing the
community again changes nothing; the hotline and Open311 cases are withdrawn at the end,
and what an interrupted run left open is withdrawn at the start (an open report of the
same problem at the same place would swallow the new one as a duplicate).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import click
import requests
from rich.console import Console
from rich.markup import escape

from lianxin.privacy import mask_name
from scripts.stack import ROOT, SERVICES, SINK, SINK_PORT, Stack

console = Console(highlight=False, soft_wrap=True)  # the terminal wraps
HTTP = requests.Session()  # keep-alive: the tour makes some sixty calls
COMMUNITY = "jingxiang"
SAMPLE = "services/roster/data/jingxiang"
HOUSEHOLDS = "services/estate/data/jingxiang/households.csv"  # its household register
SINK_URL = f"http://127.0.0.1:{SINK_PORT}"
SMS_HINT = "make stop && make run  (a stack started before SMS went to the sink by default)"
LINK = re.compile(r"https?://\S+/v1/links/\S+")
CASE_PAGE = re.compile(r"https?://\S+?/v/[A-Za-z0-9_.-]+")  # a person's case page, in the console
PROGRESS_PAGE = re.compile(r"https?://\S+?/r/[A-Za-z0-9_.-]+")  # a resident's progress page
SETTLED = ("sent", "bundled", "dead")  # a delivery's states that do not change by themselves
PROBES = {  # a cheap authenticated GET per service: anything but 401 means the key is known
    "cases": "/v1/categories",
    "roster": f"/v1/areas?community_id={COMMUNITY}&kind=community",
    "notify": "/v1/deliveries?case_id=LX-0",
    "metrics": f"/v1/stats/summary?community_id={COMMUNITY}",
}


class DemoError(Exception):
    """A step failed: what happened, and where to look."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class KeySpec:
    """One integration's API key, as an operator issues it with the admin CLI."""

    name: str
    scopes: tuple[str, ...]
    services: tuple[str, ...] = ("cases",)  # where it is used: each must know it first
    community: str = COMMUNITY
    person: tuple[str, str] | None = None  # (person id, role) of a person-bound key
    options: tuple[str, ...] = ()  # further CLI options: the channels it claims, a hotline


KEY_SPECS = (
    KeySpec("demo-admin", ("admin",), community="*"),  # person tokens, tidying up
    KeySpec("demo-hotline-12345", ("report", "read"), options=("--hotline", "changsha-12345")),
    KeySpec("demo-resident-app", ("report", "read")),  # the residents' app and Open311
    KeySpec("demo-volunteer-app", ("act", "read")),  # with the volunteer's person token
    KeySpec("demo-staff-desk", ("act", "read"), person=("p-staff-1", "staff")),
    KeySpec("demo-dashboard", ("read",), ("roster", "notify", "metrics")),
)


@dataclass
class Service:
    """One service's HTTP API; a failed call names the log that tells why."""

    name: str
    url: str
    log: Path

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        expect: Iterable[int] = (200,),
        person: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        headers = {"X-Api-Key": key} if key else {}
        headers |= kwargs.pop("headers", {}) | ({"X-Lianxin-Person": person} if person else {})
        url = path if path.startswith("http") else self.url + path  # a link, as it came
        try:
            answer = HTTP.request(method, url, headers=headers, timeout=15, **kwargs)
        except requests.RequestException as exc:
            hint = f"is {self.name} running? `make up` starts it; its log is {self.log}"
            raise DemoError(f"{method} {url}: {type(exc).__name__}", hint) from None
        if answer.status_code not in tuple(expect):
            text = f"{method} {url} answered {answer.status_code}: {answer.text[:400]}"
            raise DemoError(text, f"see {self.log}")
        return answer

    def json(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> Any:
        return self.call(method, path, key, **kwargs).json()


@dataclass
class Tour:
    """What the steps share: the services, the keys, the community's clock, open cases."""

    stack: Stack
    keys: dict[str, str] = field(default_factory=dict)
    opened: list[str] = field(default_factory=list)  # cases this run opened, still open
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    pages: dict[str, str] = field(default_factory=dict)  # the links messages carried, by whom

    def __post_init__(self) -> None:
        stack = self.stack
        self.api = {s: Service(s, stack.url(s), stack.log_file(s)) for s in SERVICES}
        self.sink = Service("the webhook sink", SINK_URL, stack.log_file(SINK))
        gauges = f"http://127.0.0.1:{stack.metrics_port('metrics')}"
        self.gauges = Service("metrics' Prometheus endpoint", gauges, stack.log_file("metrics"))
        self.state_file = self.stack.state_dir / "run" / "demo.json"

    def local(self, instant: str | None, day: bool = False) -> str:
        if not instant:
            return "—"
        moment = datetime.fromisoformat(instant).astimezone(self.zone)
        return moment.strftime("%m-%d %H:%M" if day else "%H:%M")

    def opens(self, case_id: str) -> None:
        """Noted at once: if this run is interrupted, the next one withdraws the case."""
        self.opened.append(case_id)
        self.save()

    def save(self) -> None:
        partial = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}")
        partial.touch(mode=0o600)  # the keys' secrets are in it
        specs = {spec.name: " ".join(_create(spec)) for spec in KEY_SPECS}
        state = {"keys": self.keys, "specs": specs, "open_cases": self.opened}
        partial.write_text(json.dumps(state, indent=1))
        partial.replace(self.state_file)

    def load(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}


# -- output, waiting, the admin CLI ---------------------------------------------------------


def section(number: int, title: str, how: str = "") -> None:
    console.print(f"\n[bold cyan]{number:>2}[/] [bold]{title}[/]")
    if how:
        console.print(f"   [dim]{escape(how)}[/]")


def say(text: str) -> None:
    console.print(f"   [cyan]→[/] {text}")


def detail(text: str) -> None:
    console.print(f"     [dim]{text}[/]")


def quote(title: str, text: str) -> None:
    """A message as its reader sees it, line for line."""
    console.print(f"     [magenta]┃[/] [bold]{escape(title)}[/]")
    for line in text.splitlines():
        console.print(f"     [magenta]┃[/] {escape(line)}")


def masked(key: str) -> str:
    """`lx_<id>_<secret>` with the secret hidden: the id is enough to find or revoke it."""
    return "_".join(key.split("_")[:2]) + "_" + "•" * 8


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 15.0, hint: str = "") -> Any:
    """Poll `probe` until it returns something truthy; a clear error after the deadline."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise DemoError(f"gave up waiting {timeout:g}s for {what}", hint)
        time.sleep(0.05)
    return value


def admin_cli(*args: str) -> subprocess.Popen:
    """`python -m scripts.admin ...` in the background (each start takes a second)."""
    command = [sys.executable, "-W", "ignore", "-m", "scripts.admin", *args]
    # the local stack is a development stack (scripts/stack.py): the CLI keys what it
    # stores with the same development secrets as the services, unless told otherwise
    env = {"LIANXIN_DEV_MODE": "true", **os.environ, "COLUMNS": "120"}
    return subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=-1, stderr=-1)


def finished(process: subprocess.Popen, what: str, hint: str) -> str:
    """The command's output once it exits; its last lines in the error if it failed."""
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        raise DemoError(f"{what} did not finish in 120s", hint) from None
    if process.returncode != 0:
        tail = "\n".join((out + err).strip().splitlines()[-8:])
        raise DemoError(f"{what} failed (exit {process.returncode}):\n{tail}", hint)
    return out


# -- 1, 2: keys, the community ---------------------------------------------------------------


def api_keys(
    tour: Tour, stored: dict[str, str], specs: dict[str, str], which: list[KeySpec]
) -> None:
    """Reuse what cases still accepts, if issued as its spec still says; issue the rest
    with the admin CLI, in parallel; wait until every service that will see a key has
    its replica of it."""
    wanted = {spec.name: " ".join(_create(spec)) for spec in which}
    for name, key in stored.items():
        if name not in wanted or specs.get(name) != wanted[name]:
            continue
        if tour.api["cases"].call("GET", PROBES["cases"], key, range(600)).status_code == 200:
            tour.keys[name] = key
    making = {s.name: admin_cli(*_create(s)) for s in which if s.name not in tour.keys}
    for name, process in making.items():
        created = finished(process, f"keys create --name {name}", "is FerretDB up? `make infra`")
        tour.keys[name] = created.strip().splitlines()[-1]
    tour.save()
    for spec in which:
        for service in spec.services:
            _wait_known(tour.api[service], spec.name, tour.keys[spec.name])
        state = "[green]issued[/]" if spec.name in making else "[dim]reused[/]"
        scopes = "+".join(spec.scopes) + (f" as {spec.person[0]}" if spec.person else "")
        key = masked(tour.keys[spec.name])
        say(f"{spec.name:<19} {key}  {state}  {scopes} in {spec.community}")


def _create(spec: KeySpec) -> list[str]:
    args = ["keys", "create", "--name", spec.name, "--community", spec.community]
    args += [arg for scope in spec.scopes for arg in ("--scope", scope)]
    args += ["--person", spec.person[0], "--role", spec.person[1]] if spec.person else []
    return args + list(spec.options)


def _wait_known(api: Service, name: str, key: str) -> None:
    """Cases owns the keys; the other services learn of one from `apikey.changed`."""
    hint = f"the key reaches {api.name} as an apikey.changed event; see {api.log}"

    def known() -> bool:
        return api.call("GET", PROBES[api.name], key, range(600)).status_code != 401

    wait_for(f"{api.name} to accept the key {name}", known, hint=hint)


def import_community(tour: Tour, process: subprocess.Popen, households: subprocess.Popen) -> None:
    """The CLI's table in one line; then wait until cases knows the community's areas,
    which reach it from roster as `area.changed` events. Estate's household register
    imports beside it."""
    section(2, "The sample community", f"python -m scripts.admin roster import {SAMPLE}")
    out = finished(process, "roster import", "its output is above; is FerretDB up (`make infra`)?")
    register = finished(households, "estate import", "is estate running? see var/log/estate-0.log")
    say(f"household register ({HOUSEHOLDS}): {register.strip().splitlines()[-1]}")
    rows = re.findall(r"│\s*(\w+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", out)
    changed = sum(int(count) for *_, count in rows)
    say("rows accepted: " + (" · ".join(f"{kind} {n}" for kind, n, _ in rows) or out.strip()))
    say(
        f"documents changed: {changed}" + (" [dim](a re-import changes nothing)[/]" * (not changed))
    )
    hint = "areas reach cases as area.changed events from roster; see var/log/cases-0.log"
    areas = wait_for(f"cases to know the areas of {COMMUNITY}", lambda: _areas(tour), hint=hint)
    tour.zone = ZoneInfo(areas["timezone"])
    kinds: dict[str, int] = {}
    for area in areas["areas"]:
        kinds[area["kind"]] = kinds.get(area["kind"], 0) + 1
    say(f"cases knows {areas['name']}: " + ", ".join(f"{n} {k}s" for k, n in kinds.items()))


def _areas(tour: Tour) -> dict | None:
    key = tour.keys["demo-resident-app"]
    answer = tour.api["cases"].call("GET", f"/v1/areas/{COMMUNITY}", key, (200, 404))
    return answer.json() if answer.status_code == 200 else None


def withdraw(tour: Tour, case_id: str) -> str:
    """Withdrawn as staff would (an admin key): its number, or its state if it was done."""
    key, reason = tour.keys["demo-admin"], {"reason": "演示结束 (end of the demo)"}
    path = f"/v1/cases/{case_id}/withdraw"
    answer = tour.api["cases"].call("POST", path, key, (200, 404, 409), json=reason)
    if case_id in tour.opened:
        tour.opened.remove(case_id)
    shown = answer.json()
    if answer.status_code == 200:
        return shown["number"]
    return f"{case_id} ({shown['error'].get('state', 'not found')})"


# -- 3, 4, 5: three ways in -----------------------------------------------------------------


def hotline_order(tour: Tour) -> None:
    """A 12345 work order; the hotline's resend of it finds the same case."""
    section(3, "A 12345 hotline work order", "POST /v1/hotline/orders")
    order = {
        "hotline_id": "changsha-12345",
        "order_no": f"GD{datetime.now():%Y%m%d%H%M%S}{uuid.uuid4().hex[:2].upper()}",
        "community_id": COMMUNITY,
        "description": "市民来电：5栋2单元楼道堆满纸箱和旧家具，堵住楼梯",
        "category_text": "城市管理-楼道堆物",
        "caller": {"name": "陈女士", "phone": "13974120000", "consent": True},
        "location": {"area_code": "jingxiang-b05-u2"},
        "deadline": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
    }
    cases, key = tour.api["cases"], tour.keys["demo-hotline-12345"]
    first = cases.json("POST", "/v1/hotline/orders", key, expect=(201,), json=order)
    tour.opens(first["id"])
    say(f"order {order['order_no']} → 201 Created: [bold]{first['number']}[/], {first['state']}")
    detail(f"{first['category']} → team {first['team']}, priority {first['priority']}")
    again = cases.json("POST", "/v1/hotline/orders", key, expect=(200,), json=order)
    same = "the same case, no duplicate" if again["id"] == first["id"] else "[red]ANOTHER case[/]"
    say(f"the hotline sends it again → 200 OK: {again['number']}, {same}")


def open311_request(tour: Tour) -> None:
    """A civic app's Open311 GeoReport v2 request, form-encoded, and its XML view."""
    section(4, "An Open311 request", "POST /open311/v2/requests.json, GET …/requests/<id>.xml")
    key, cases = tour.keys["demo-resident-app"], tour.api["cases"]
    form = {
        "api_key": key,
        "jurisdiction_id": COMMUNITY,
        "service_code": "civility.noise",
        "address_id": "jingxiang-b17-u2",
        "description": "楼下广场舞音响太大，每晚十点后还在放",
        "first_name": "明",
        "last_name": "李",
        "phone": "139-7412-0001",
    }
    (created,) = cases.json("POST", "/open311/v2/requests.json", data=form, expect=(201,))
    number = created["service_request_id"]
    tour.opens(created["token"])
    say(f"201 Created: service_request_id [bold]{number}[/], token {created['token']}")
    xml = cases.call("GET", f"/open311/v2/requests/{number}.xml", params={"api_key": key})
    say(f"GET …/requests/{number}.xml, {xml.headers['Content-Type']}, empty elements left out:")
    for line in _xml_lines(xml.content):
        detail(escape(line))


def _xml_lines(content: bytes) -> list[str]:
    """The XML indented, its empty elements dropped: what it says, in a dozen lines."""
    root = ElementTree.fromstring(content)
    for parent in list(root.iter()):
        for child in [c for c in parent if not len(c) and not (c.text or "").strip()]:
            parent.remove(child)
    ElementTree.indent(root, space="  ")
    return ElementTree.tostring(root, encoding="unicode").splitlines()


def app_report(tour: Tour, area_code: str) -> dict:
    """What the resident's app sends, consent to progress messages included."""
    section(5, "A resident reports in the app, consenting to progress messages", "POST /v1/cases")
    report = {
        "description": "3栋2单元楼道灯坏了，晚上看不见台阶 (the stair light is out)",
        "community_id": COMMUNITY,
        "channel": "app",
        "location": {"area_code": area_code},
        "reporter": {"name": "王秀兰", "phone": "13912345678", "consent": True},
    }
    key, headers = tour.keys["demo-resident-app"], {"Idempotency-Key": f"demo-{uuid.uuid4()}"}
    case = tour.api["cases"].json(
        "POST", "/v1/cases", key, expect=(201,), json=report, headers=headers
    )
    tour.opens(case["id"])
    if case["state"] == "merged":
        raise DemoError(
            f"the report was merged into {case['merged_into']['number']}, an open report of the "
            "same problem at the same place",
            "withdraw or resolve that case, or report elsewhere: --area jingxiang-b04-u1",
        )
    label, limits = case["category_label"], (case["accept_by"], case["resolve_by"])
    say(f"201 Created: [bold]{case['number']}[/] ({case['id']}), state {case['state']}")
    say(f"triage: {case['category']} → team {case['team']}, priority {case['priority']}")
    detail(f"{label['zh']} / {label['en']}")
    accept, resolve = tour.local(limits[0]), tour.local(limits[1], day=True)
    detail(f"accept by {accept}, resolve by {resolve} ({tour.zone.key})")
    reporter = {name: value for name, value in case["reporter"].items() if value}
    say(f"the reporter as a key without admin sees them: {escape(str(reporter))}")
    return case


# -- 6, 7: dispatch and the message ---------------------------------------------------------


def dispatch(tour: Tour, case: dict) -> dict:
    """Roster answers the triage: whoever is on duty in the grid and team gets the offer."""
    section(6, "Roster offers it to the volunteer on duty", "GET /v1/on-duty, /v1/dispatches/<id>")
    roster, key = tour.api["roster"], tour.keys["demo-dashboard"]
    query = {"grid_id": case["grid_id"], "team": case["team"]}
    on_duty = roster.json("GET", "/v1/on-duty", key, params=query)["on_duty"]
    names = ", ".join(f"{p['display_name']} ({p['person_id']})" for p in on_duty) or "nobody"
    rotas = ", ".join(sorted({p["rota_id"] for p in on_duty}))
    say(f"on duty in {case['grid_id']} for {case['team']} now: {names} [dim]rota {rotas}[/]")
    started = time.monotonic()
    hint = "roster reads case.triaged and answers offer.made; see var/log/roster-0.log"
    case = wait_for("roster's offer", lambda: _answered(tour, case["id"]), hint=hint)
    if case["state"] != "dispatched":
        raise DemoError(f"roster escalated it: {case['timeline'][-1]['note']}", hint)
    record = roster.json("GET", f"/v1/dispatches/{case['id']}", key)
    offer = record["offer"] or {}
    say(
        f"offer {offer.get('id')} to {case['assignee_name']} ({case['assignee']}), attempt "
        f"{record['attempt']}, open until {tour.local(offer.get('expires_at'))}"
    )
    detail(f"case {case['state']} {time.monotonic() - started:.2f}s after the report")
    return case


def _answered(tour: Tour, case_id: str) -> dict | None:
    case = tour.api["cases"].json("GET", f"/v1/cases/{case_id}", tour.keys["demo-resident-app"])
    return case if case["state"] in ("dispatched", "escalated") else None


def volunteer_message(tour: Tour, case: dict) -> str | None:
    """The dispatch message as it reached the volunteer: by SMS, or through the group
    webhook when SMS is off. Returns its accept link, if one came."""
    section(7, "The message the volunteer receives", f"notify → the dev sink: {SINK_URL}/messages")
    hint = "notify reads case.dispatched; see var/log/notify-0.log"
    kinds, person = {"case.dispatched"}, case["assignee"]
    found = wait_for("the message", lambda: _deliveries(tour, case, kinds, person), hint=hint)
    sent = [d for d in found if d["state"] == "sent"]  # several: a channel died, the next took it
    delivery = (sent or sorted(found, key=lambda d: d["created_at"]))[-1]
    received = _received(tour, delivery)
    if received is None:
        return None
    if received["channel"] == "sms":
        check = "gateway key sent" if received["verified"] else "[red]no gateway key[/]"
        say(f"{delivery['kind']} by SMS to {delivery['address']}: {check}")
        quote("SMS", received["text"])
        if page := CASE_PAGE.search(received["text"]):
            tour.pages["volunteer"] = page.group(0)
            detail("its link opens the case's page in the console, without a password; opening")
            detail("it changes nothing: accept, decline, resolve with photos are confirmed there")
        link = LINK.search(received["text"])
        return link.group(0) if link else None
    check = "signature verified" if received["verified"] else "[red]signature NOT verified[/]"
    say(f"{delivery['kind']} over the {delivery['channel']} to {delivery['address']}: {check}")
    tried_sms = any(d["channel"] == "sms" for d in found)
    why = "the SMS failed for good" if tried_sms else "SMS is off here (NOTIFY_SMS_URL unset)"
    detail(f"{why}: notify used the group's webhook, the last resort")
    body = received["body"]
    quote(body["subject"], body["text"])
    detail("no action link in a group (anyone there could use it): the volunteer's own SMS has it")
    return None


def _deliveries(tour: Tour, case: dict, kinds: set[str], person: str | None = None) -> list | None:
    """The case's deliveries of these kinds, once each has settled: sent, bundled, dead,
    or held for later (pending and due within seconds has not settled)."""
    key, path = tour.keys["demo-dashboard"], f"/v1/deliveries?case_id={case['id']}"
    found = tour.api["notify"].json("GET", path, key)["deliveries"]
    wanted = [d for d in found if d["kind"] in kinds and person in (None, d["recipient"]["id"])]
    soon = datetime.now(UTC) + timedelta(seconds=5)
    waiting = [d for d in wanted if d["state"] not in SETTLED and _due(d) < soon]
    return wanted if {d["kind"] for d in wanted} == kinds and not waiting else None


def _due(delivery: dict) -> datetime:
    due = delivery.get("next_attempt_at")
    return datetime.fromisoformat(due) if due else datetime.now(UTC)


def _received(tour: Tour, delivery: dict) -> dict | None:
    """What the sink got for a sent delivery; for one not sent, why not."""
    state, what = delivery["state"], f"{delivery['kind']} over {delivery['channel']}"
    if state == "bundled":
        say(f"{what}: bundled into a digest (over NOTIFY_RATE_COUNT messages to one person)")
    elif state == "dead":
        say(f"{what}: [red]dead[/] after {delivery['attempts']} attempt(s)")
        detail(escape(delivery["last_error"]))
    elif state != "sent":
        due = tour.local(delivery["next_attempt_at"], day=True)
        why = "held for the person's quiet hours" if state == "pending" else "failed, retried"
        say(f"{what}: {why} until {due} {escape(delivery['last_error'])}")
    else:
        return wait_for(
            f"the sink to list {delivery['id']}",
            lambda: next((m for m in _sink(tour) if _reference(m) == delivery["id"]), None),
            5,
            "see var/log/webhook-sink.log",
        )
    return None


def _sink(tour: Tour) -> list[dict]:
    return tour.sink.json("GET", "/messages")


def _reference(message: dict) -> str | None:
    body = message.get("body") or {}
    return body.get("reference") or body.get("delivery_id")


# -- 8: the work ----------------------------------------------------------------------------


def work_the_case(tour: Tour, case: dict, accept_link: str | None) -> dict:
    """Accept by the message's link (with the person token when no link came), resolve
    through the volunteer app with the person token, staff check it, the resident rates."""
    section(8, "Accepted, resolved, checked by staff, rated by the resident")
    cases, url = tour.api["cases"], f"/v1/cases/{case['id']}"
    claims = {"person_id": case["assignee"], "role": "volunteer", "communities": [COMMUNITY]}
    admin = tour.keys["demo-admin"]
    token = cases.json("POST", "/v1/person-tokens", admin, expect=(201,), json=claims)
    volunteer = {"key": tour.keys["demo-volunteer-app"], "person": token["token"]}
    hours = token["expires_in"] // 3600
    say(f"the admin key issues a person token for {case['assignee']} (volunteer, {hours} h)")
    if accept_link:
        shown = _open_link(tour, accept_link)
        still = cases.json("GET", url, tour.keys["demo-resident-app"])["state"]
        say(f"the volunteer opens the accept link → the case and a confirm button; still {still}")
        confirmation = shown.json()["confirm"]
        opened = _confirm_link(tour, accept_link, confirmation, (200,))
        say(f"and confirms on its page (POST) → 200 {_shown(opened)}")
        again = _confirm_link(tour, accept_link, confirmation, range(600))
        detail(f"the same confirmation again → {again.status_code} {_shown(again)}")
    else:
        accepted = cases.json("POST", f"{url}/accept", **volunteer, json={})
        say(f"accepts in the volunteer app (key + X-Lianxin-Person) → {accepted['state']}")
    done = {"resolution": "换了新灯泡，楼道灯已恢复 (bulb replaced)", "volunteer_hours": 0.5}
    case = cases.json("POST", f"{url}/resolve", **volunteer, json=done)
    say(f"resolves in the volunteer app (key + X-Lianxin-Person) → [bold]{case['state']}[/]")
    checked = {"note": "现场查看，灯已亮 (checked on site)"}
    case = cases.json("POST", f"{url}/verify", tour.keys["demo-staff-desk"], json=checked)
    say(f"staff p-staff-1 check it, with their person-bound key → [bold]{case['state']}[/]")
    rating = {"rating": 5, "comment": "修得很快，谢谢！"}
    case = cases.json("POST", f"{url}/rate", tour.keys["demo-resident-app"], json=rating)
    say(f"the resident rates it 5 through the app that reported it → [bold]{case['state']}[/]")
    tour.opened.remove(case["id"])
    tour.save()
    resident_messages(tour, case)
    timeline(tour, case)
    return case


def _open_link(tour: Tour, url: str) -> requests.Response:
    """GET a signed action link as an app does (Accept: application/json): it shows the
    case and the confirmation its POST needs, and changes nothing."""
    accept = {"Accept": "application/json"}
    return tour.api["notify"].call("GET", url, expect=(200,), headers=accept)


def _confirm_link(
    tour: Tour, url: str, confirmation: str, expect: Iterable[int]
) -> requests.Response:
    """POST the link's confirmation back, as its page's button does: this acts, once."""
    accept = {"Accept": "application/json"}
    body = {"confirm": confirmation}
    return tour.api["notify"].call("POST", url, expect=expect, headers=accept, json=body)


def _shown(answer: requests.Response) -> str:
    shown = answer.json()
    if answer.status_code == 200:
        shown = {name: shown[name] for name in ("ok", "action", "state")}
    else:
        shown = {name: shown["error"].get(name) for name in ("code", "state")}
    return escape(json.dumps(shown))


def resident_messages(tour: Tour, case: dict) -> None:
    """A consenting resident hears of progress by SMS or e-mail only, never in a group."""
    kinds = {"progress.dispatched", "progress.resolved", "progress.closed"}
    dispatched = _deliveries(tour, case, {"case.dispatched"}) or []
    if not any(d["channel"] == "sms" for d in dispatched):
        detail("no progress SMS to the resident while SMS is off; to see them:")
        detail(f"  {SMS_HINT}")
        return
    hint = "see var/log/notify-0.log"
    found = wait_for("the progress messages", lambda: _deliveries(tour, case, kinds), hint=hint)
    say("the resident's phone got:")
    for delivery in sorted(found, key=lambda d: d["created_at"]):
        if received := _received(tour, delivery):
            detail(escape(received["text"]))
            if page := PROGRESS_PAGE.search(received["text"]):
                tour.pages["resident"] = page.group(0)


def timeline(tour: Tour, case: dict) -> None:
    """Every step the case took, who took it and through which channel."""
    say(f"the timeline of {case['number']}:")
    for step in case["timeline"]:
        who = step["by"] + (f" ({step['role']})" if step.get("role") else "")
        action = f"{step['action']:<8} → {step['state']:<10}"
        detail(f"{tour.local(step['at'])}  {action} {escape(who)} via {step['channel']}")


# -- 9, 10: roster and metrics afterwards ---------------------------------------------------


def roster_afterwards(tour: Tour, case: dict) -> None:
    """The offer's end, and the hours roster credits by its own rules, once."""
    person = case["assignee"]
    section(9, "Roster afterwards", f"GET /v1/people/{person}/offers, …/hours")
    roster, key = tour.api["roster"], tour.keys["demo-dashboard"]
    offers = roster.json("GET", f"/v1/people/{person}/offers", key)["offers"]
    for offer in (o for o in offers if o["case_id"] == case["id"]):
        made = tour.local(offer["made_at"])
        say(f"offer {offer['offer_id']}, made {made}, attempt {offer['attempt']}: {offer['state']}")
    hint = "roster credits hours on case.resolved; see var/log/roster-0.log"
    ledger = wait_for("the hours credit", lambda: _credited(tour, person, case["id"]), hint=hint)
    entry = next(e for e in ledger["entries"] if e["case_id"] == case["id"])
    credit = f"+{entry['hours']:g} h {entry['kind']}, {entry['state']}"
    say(f"hours ledger of {person}: {credit}; {ledger['total']:g} h in all")
    detail(f"rule {entry['rule']}; the volunteer said {case['volunteer_hours']:g} h")


def _credited(tour: Tour, person: str, case_id: str) -> dict | None:
    path, key = f"/v1/people/{person}/hours", tour.keys["demo-dashboard"]
    ledger = tour.api["roster"].json("GET", path, key)
    return ledger if any(entry["case_id"] == case_id for entry in ledger["entries"]) else None


def ratings_so_far(tour: Tour) -> int:
    """Before the walk: afterwards, the statistics are read once they count one more."""
    return _summary(tour)["totals"]["rated"]


def statistics(tour: Tour, rated_before: int) -> None:
    """The community's summary once it counts the rating, and the Prometheus gauges once
    they have been refreshed since (they reread the stored totals every 5 s)."""
    port = tour.stack.metrics_port("metrics")
    section(10, "Statistics", f"GET /v1/stats/summary?community_id={COMMUNITY}; :{port}/metrics")
    hint = "metrics reads every case event; see var/log/metrics-0.log"
    summary = wait_for(
        "metrics to count the rating",
        lambda: (s := _summary(tour))["totals"]["rated"] > rated_before and s,
        hint=hint,
    )
    counted_at = time.time()
    say(
        f"{COMMUNITY} {summary['from']} – {summary['to']}: collected {summary['collected']}, "
        f"resolved {summary['resolved']}, volunteer hours {summary['volunteer_hours']:g}"
    )
    rates = ("resolution_rate", "on_time_rate", "satisfaction_rate")
    detail(", ".join(f"{rate.replace('_', ' ')} {_percent(summary[rate])}" for rate in rates))
    channels = ", ".join(f"{c} {b['collected']}" for c, b in sorted(summary["by_channel"].items()))
    detail(f"collected by channel: {channels}")
    wait_for("the gauges' refresh (5 s)", lambda: _refreshed(tour) > counted_at, hint=hint)
    say("Prometheus, from the metrics service's /metrics:")
    measures = '",measure="(reported|resolved|rated)"}'
    wanted = re.compile(re.escape(f'lianxin_cases_total{{community="{COMMUNITY}') + measures)
    for line in filter(wanted.match, _scrape(tour)):
        detail(line)


def _summary(tour: Tour) -> dict:
    path = f"/v1/stats/summary?community_id={COMMUNITY}"
    return tour.api["metrics"].json("GET", path, tour.keys["demo-dashboard"])


def _scrape(tour: Tour) -> list[str]:
    return tour.gauges.call("GET", "/metrics").text.splitlines()


def _refreshed(tour: Tour) -> float:
    """When the gauges last reread the stored totals (Unix time)."""
    wanted = 'lianxin_stats_refreshed_timestamp_seconds{source="aggregates"} '
    return next((float(line.split()[-1]) for line in _scrape(tour) if line.startswith(wanted)), 0)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


# -- the end --------------------------------------------------------------------------------


def tidy(tour: Tour) -> None:
    """The hotline and Open311 cases were there to show intake: withdrawn, so that they
    wait in no volunteer's queue and the next run's reports are not their duplicates."""
    withdrawn = [withdraw(tour, case_id) for case_id in list(tour.opened)]
    tour.save()
    shown = " and ".join(withdrawn)
    console.print(f"\n[dim]Tidied up: staff withdrew {shown} (the hotline and Open311 cases).[/]")


def where_things_are(tour: Tour, began: float) -> None:
    """What to open next, and how to stop."""
    console.print(f"[bold green]Done in {time.monotonic() - began:.1f}s.[/] Where things are:")
    for name in SERVICES:
        url, port = tour.stack.url(name), tour.stack.metrics_port(name)
        say(f"{name:<8} {url}  [dim]OpenAPI /v1/openapi.json, Prometheus :{port}/metrics[/]")
    say(f"Open311  {tour.stack.url('cases')}/open311/v2/discovery.json")
    say(f"sink     {SINK_URL}/messages  [dim]everything notify sent, every channel[/]")
    say("logs     var/log/<program>.log  [dim]python -m scripts.stack status[/]")
    say(f"keys     {tour.state_file.relative_to(ROOT)}  [dim]python -m scripts.admin keys list[/]")
    say("Grafana :3000, Prometheus :9090, Mailpit :8025  [dim]with docker compose only[/]")
    say("make stop  [dim]stops the services; make infra-stop RabbitMQ and FerretDB too[/]")
    base = tour.stack.url("console")
    name, phone = sample_person("staff")
    console.print(
        f"[bold]The staff console:[/] {base}/sign-in — sign in as {name} "
        f"with [bold]{phone}[/]; the SMS code shows in the sink, {SINK_URL}/messages"
    )
    name, phone = sample_person("volunteer")
    console.print(
        f"[bold]A volunteer's pages[/] (on a phone): {base}/sign-in as {name} with "
        f"[bold]{phone}[/] → 我的案件, 我的值班, 我的时长"
    )
    if "volunteer" in tour.pages:
        say(f"the case's page from the volunteer's SMS: {tour.pages['volunteer']}")
    console.print(
        f"[bold]A resident's pages[/] (no account): {base}/r/report/{COMMUNITY} — 扫码反映, "
        "scan to report (staff print its QR poster: 区域 → 打印扫码反映海报); "
        f"{base}/r/fund/{COMMUNITY} — 物业基金账单, their household's estate fund statement"
    )
    if "resident" in tour.pages:
        say(f"the progress page from the resident's SMS: {tour.pages['resident']}")


def sample_person(role: str) -> tuple[str, str]:
    """A person of the sample community to sign in to the console as: the first with
    `role` in its people.csv and an SMS contact (their name masked, their number as the
    sample file has it)."""
    with (ROOT / SAMPLE / "people.csv").open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            sms = [c.split(":", 1)[1] for c in row["contacts"].split(";") if c.startswith("sms:")]
            if role in row["roles"].split(";") and sms:
                return mask_name(row["name"]), sms[0]
    raise DemoError(f"the sample community has no {role} with an SMS number")


def tour_of(tour: Tour, area: str) -> None:
    """The steps in order; the community imports while the keys are made."""
    importing = admin_cli("roster", "import", SAMPLE)
    households = admin_cli("estate", "import", HOUSEHOLDS)
    stored = tour.load()
    keys, specs = stored.get("keys") or {}, stored.get("specs") or {}
    section(1, "API keys", "python -m scripts.admin keys create --name … --scope … --community …")
    api_keys(tour, keys, specs, [spec for spec in KEY_SPECS if spec.person is None])
    detail(f"the secrets are in {tour.state_file.relative_to(ROOT)} (mode 0600), nowhere else")
    import_community(tour, importing, households)
    # a key bound to a person is void once the person's access changes after it is issued,
    # as roster's import of the person does: those keys are issued after the import
    api_keys(tour, keys, specs, [spec for spec in KEY_SPECS if spec.person is not None])
    leftovers = [withdraw(tour, case_id) for case_id in stored.get("open_cases") or []]
    if leftovers:
        detail(f"withdrew what an interrupted run left open: {', '.join(leftovers)}")
    tour.save()
    rated_before = ratings_so_far(tour)
    hotline_order(tour)
    open311_request(tour)
    case = dispatch(tour, app_report(tour, area))
    case = work_the_case(tour, case, volunteer_message(tour, case))
    roster_afterwards(tour, case)
    statistics(tour, rated_before)
    tidy(tour)


@click.command()
@click.option("--area", default="jingxiang-b03-u2", show_default=True, help="Where it is.")
def main(area: str) -> None:
    """Walk one case through the running stack (`make up`) and print each step."""
    began = time.monotonic()
    tour = Tour(Stack())
    console.print(f"[bold]Lianxin (连心)[/]: a tour of the local stack, community {COMMUNITY}")
    try:
        tour_of(tour, area)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except DemoError as failed:
        console.print(f"\n[bold red]✗ {escape(str(failed))}[/]")
        if failed.hint:
            console.print(f"  [yellow]check:[/] {escape(failed.hint)}")
        raise SystemExit(1) from None
    where_things_are(tour, began)


if __name__ == "__main__":
    main()
