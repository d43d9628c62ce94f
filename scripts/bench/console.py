"""The console phase: the case board and a case's page with 20,000 cases in one community,
signing in, counted in a browser's round trips, and photos as the phone pages send and
read them (scripts/bench/photos.py).

How the board comes to hold 20,000 rows. Cases would need minutes to take 20,000 reports
on this machine, and the console's handler takes every case event of them one by one under
two leases (its row and the change log): hours of machine time that measure the write path,
not the page. So the bench writes the board's rows as the handler would — each made by the
same fold of a `case.reported` event (services.console.domain.board) from the workload's
realistic reports, stored by the same codec (services.console.store.ROWS) into the
console's own `board_rows`, before the console first reads the community. Then real reports
go through cases' API, and their events reach the board through the queue as every case's
do (the bench waits for each one's row): the board the pages read is 20,000 rows, some of
them written by the live path, and the change log is live while the pages are measured (a
writer reports a case every half second throughout). A case's page reads cases by `_id`
(the real cases reported here); its cost does not grow with the collection (the `store`
phase measures that).

Every page is read over HTTP with a real session: signed in with the code the SMS sink
received, as a browser does. Round trips to the home page are the HTTP requests the
browser makes for documents from opening /sign-in to the home page (assets aside: they are
cached after the first visit).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from random import Random
from typing import Any

import requests
from pymongo import MongoClient

from lianxin.access.case_pages import CasePageLink, CasePageLinks
from lianxin.privacy import mask_phone
from scripts.bench import harness, photos, report
from scripts.bench.workload import Workload
from scripts.stack import CONSOLE, declare_topology
from scripts.webhook_sink import Sink, handler_for
from services.console.domain.board import folded
from services.console.domain.csrf import SIGN_IN_COOKIE
from services.console.store import ROWS

COMMUNITY = "jingxiang"
STAFF = ("p-staff-1", "13807310700")  # the sample community's, as its people.csv has them
CODE = re.compile(r"验证码为 (\d{6})")
STATES = (("closed", 60), ("rated", 12), ("dispatched", 8), ("accepted", 8), ("resolved", 5),
          ("reported", 4), ("escalated", 2), ("withdrawn", 1))  # fmt: skip
FILTERED = {"state": "closed", "grid": "jingxiang-g1", "q": "灯"}
BATCH = 2000


def run_console_phase(
    isolation: harness.Isolation, state_dir: Path, params: dict[str, Any], say: Callable
) -> dict[str, Any]:
    """Start the stack, fill the board, sign in, and time the pages."""
    sink = Sink(params["secret"], fail_first=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(sink))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    size, samples = params["console_cases"], params["console_samples"]
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(server.shutdown)
        say("console: starting the services")
        declare_topology(isolation.amqp_uri)
        sms = {"NOTIFY_SMS_URL": sink.url.replace("/hooks", "/sms"),
               "NOTIFY_SMS_API_KEY": "bench-sms-gateway"}  # fmt: skip
        stack = harness.start_pipeline(
            isolation, state_dir / "console", sink.url, params["secret"],
            params["log_level"], [COMMUNITY], extra_env=sms,
        )  # fmt: skip
        cleanup.callback(harness.stop_pipeline, stack)
        client = MongoClient(isolation.mongo_uri, serverSelectionTimeoutMS=5000)
        cleanup.callback(client.close)
        console_db = client[f"{isolation.db_prefix}console"]
        _wait("the console to know the staff", lambda: console_db["people"].find_one(
            {"_id": STAFF[0]}), 120)  # fmt: skip
        live = max(1, min(200, size // 100))
        started = time.monotonic()
        written = fill_board(console_db["board_rows"], size - live, params["seed"])
        say(f"console: {written} board rows written in {time.monotonic() - started:.1f}s")
        reporter = Reporter(isolation, stack, sink.url, params["secret"])
        started = time.monotonic()
        real = reporter.report_many(live)
        _wait(f"the {live} reported cases on the board", lambda: all(
            console_db["board_rows"].find_one({"_id": case_id}) for case_id in real
        ), 120)  # fmt: skip
        events_seconds = time.monotonic() - started
        say(f"console: {live} cases reported and on the board in {events_seconds:.1f}s")
        base = stack.url(CONSOLE)
        browser, round_trips = sign_in(base, sink)
        say(f"console: signed in, {round_trips} round trips to the home page")
        first_load = _timed(lambda: _get(browser, f"{base}/cases"))
        with reporter.trickle(every=0.5):
            board = _sample(samples, lambda _: _get(browser, f"{base}/cases"))
            filtered = _sample(samples, lambda _: _get(browser, f"{base}/cases", FILTERED))
            case = _sample(samples, lambda i: _get(browser, f"{base}/cases/{real[i % live]}"))
            home = _sample(samples, lambda _: _get(browser, f"{base}/"))
            links = volunteer_links(console_db.client[f"{isolation.db_prefix}cases"], real, base)
            phone = requests.Session()  # no session cookie: the link is the credential
            volunteer = _sample(samples, lambda i: _get(phone, links[i % len(links)]))
        rows = console_db["board_rows"].estimated_document_count()
        cases_db = client[f"{isolation.db_prefix}cases"]
        stored = photos.measure_photos(
            stack.url("cases"), reporter.headers, cases_db, COMMUNITY, params, say
        )
    figures = {
        "cases_on_board": rows,
        "written_as_rows": written,
        "reported_through_cases": live,
        "reported_to_board_seconds": round(events_seconds, 1),
        "first_board_page_after_start_ms": round(first_load * 1000, 1),
        "board_first_page": report.latency(board),
        "board_filtered_page": report.latency(filtered) | {"filter": FILTERED},
        "case_page": report.latency(case),
        "home_page": report.latency(home),
        "volunteer_case_page": report.latency(volunteer) | {"cases": len(links)},
        "sign_in_round_trips": round_trips,
        "photos": stored,
    }
    say(
        f"console: board p95 {figures['board_first_page']['p95_ms']} ms, filtered p95 "
        f"{figures['board_filtered_page']['p95_ms']} ms, case p95 "
        f"{figures['case_page']['p95_ms']} ms at {rows} cases"
    )
    return figures


def volunteer_links(cases_db, case_ids: list[str], base: str) -> list[str]:
    """The links to their case's page that the volunteers the reported cases were offered
    to would find in their SMS (the bench's people keep quiet hours, so the links are made
    here as notify makes them, with the services' token secret): the page a volunteer opens
    on their phone, without a session. Waits until roster has offered one at least."""
    links = CasePageLinks(harness.TOKEN_SECRET)

    def offered() -> list[str]:
        now = datetime.now(UTC)
        cases = (cases_db["cases"].find_one({"_id": case_id}) or {} for case_id in case_ids)
        return [
            links.url(base, CasePageLink(case["assignee"], case["_id"], now, now + timedelta(1)))
            for case in cases
            if case.get("assignee")
        ]

    return _wait("a reported case offered to a volunteer", offered, 60)


def fill_board(rows, count: int, seed: int) -> int:
    """`count` rows of the community, each folded from a realistic `case.reported` as the
    console's handler folds it, spread over the last 90 days and the usual states."""
    rng = Random(seed)
    workload = Workload(seed=seed, tag="BOARD")
    now = datetime.now(UTC)
    states, weights = zip(*STATES, strict=True)
    written, batch = 0, []
    for index in range(count):
        body = workload.next().body
        at = now - timedelta(seconds=rng.randint(600, 90 * 86400))
        payload = {
            "case_id": f"LX-BOARD{index:012X}", "number": f"JX-{at:%Y%m%d}-B{index:05d}",
            "community_id": COMMUNITY, "grid_id": body["location"]["grid_id"],
            "category": None, "team": None, "priority": None, "channel": body["channel"],
            "state": "reported", "previous_state": None, "case_version": 1, "overdue": False,
            "place": None, "category_label": None, "assignee": None, "reported_at": at,
            "description": body["description"],
        }  # fmt: skip
        row = folded(None, "case.reported", payload)
        row = replace(row, state=rng.choices(states, weights)[0], overdue=rng.random() < 0.05)
        batch.append({"_id": row.case_id, **ROWS.to_document(row)})
        if len(batch) == BATCH:
            written += len(rows.insert_many(batch, ordered=False).inserted_ids)
            batch = []
    if batch:
        written += len(rows.insert_many(batch, ordered=False).inserted_ids)
    return written


class Reporter:
    """Reports cases through cases' API as an app does, with a key of its own."""

    def __init__(self, isolation, stack, webhook_url: str, secret: str):
        env = harness.service_env(webhook_url, secret, "WARNING")
        key, why_not = harness.issue_api_key(
            isolation, "bench-console", ["report", "read"], [COMMUNITY], env, ["--channel", "app"]
        )
        if key is None:
            raise RuntimeError(f"no key to report with: {why_not}")
        self._url = f"{stack.url('cases')}/v1/cases"
        self.headers = {"X-Api-Key": key}
        self._workload = Workload(seed=99, tag="LIVE")
        self._http = requests.Session()

    def report_one(self) -> str:
        body = dict(self._workload.next().body, channel="app", community_id=COMMUNITY)
        body.pop("hotline", None)
        answer = self._http.post(self._url, json=body, headers=self.headers, timeout=30)
        answer.raise_for_status()
        return answer.json()["id"]

    def report_many(self, count: int) -> list[str]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda _: self.report_one(), range(count)))

    @contextlib.contextmanager
    def trickle(self, every: float) -> Iterator[None]:
        """A case every `every` seconds meanwhile: the change log moves while pages load."""
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(every):
                with contextlib.suppress(requests.RequestException):
                    self.report_one()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)


def sign_in(base: str, sink: Sink) -> tuple[requests.Session, int]:
    """Sign in as a browser with JavaScript does (the code form posted by htmx); the HTTP
    requests for documents it took, redirects included."""
    browser = requests.Session()
    before = len(sink.messages)
    opened = browser.get(f"{base}/sign-in", timeout=10)
    token = browser.cookies.get(SIGN_IN_COOKIE)
    asked = browser.post(
        f"{base}/sign-in/code", data={"phone": STAFF[1], "csrf": token}, timeout=10
    )
    code = _wait("the sign-in code", lambda: _code(sink, before), 30)
    home = browser.post(  # as htmx posts the code form (hx-boost): answered with the home page
        f"{base}/sign-in",
        data={"phone": STAFF[1], "code": code, "csrf": token},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
        timeout=10,
    )
    if home.status_code != 200 or home.headers.get("HX-Push-Url") != "/":
        raise RuntimeError(f"signing in failed: {home.status_code} {home.url}")
    answers = [opened, asked, *home.history, home]
    return browser, len(answers)


def _code(sink: Sink, before: int) -> str | None:
    shown = f"to {mask_phone(STAFF[1])}:"
    with sink.lock:
        texts = [m["text"] for m in sink.messages[before:] if m["channel"] == "sms"]
    found = [CODE.search(text) for text in texts if text.startswith(shown)]
    return found[-1].group(1) if found and found[-1] else None


def _get(browser: requests.Session, url: str, params: dict | None = None) -> None:
    answer = browser.get(url, params=params, timeout=30, allow_redirects=False)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {answer.url}: {answer.status_code}")


def _timed(call: Callable[[], None]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _sample(count: int, call: Callable[[int], None]) -> list[float]:
    return [_timed(lambda i=i: call(i)) for i in range(count)]


def _wait(what: str, probe: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.2)
    return value
