"""Two-way action links on the running notify: a link from a real dispatch message acts
once through `cases.perform_action` (answered here by the cases peer over the real
broker); a tampered, expired, reused or misdirected link is refused and changes nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from services.notify.links import ActionLinks
from tests.notify.harness import TOKEN_SECRET, NotifyRun
from tests.notify.scenario import add_person, dispatched, sent

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def notify(scenario, peer, tmp_path_factory):
    env = scenario.env(NOTIFY_RATE_COUNT="1000")  # one volunteer gets every test's dispatch
    with NotifyRun(tmp_path_factory.mktemp("notify"), env) as run:
        add_person(run, scenario, "p-link", [("webhook", peer.url("/p-link"))])
        yield run


@pytest.fixture
def case(notify, scenario, peer):
    """A case dispatched to p-link, as the cases peer knows it, and the links sent."""
    event = dispatched(scenario, "p-link")
    cases = notify.client[f"{notify.prefix}cases"]["cases"]
    number = event["payload"]["number"]
    cases.insert_one(
        {"_id": event["case_id"], "number": number, "state": "dispatched", "assignee": "p-link"}
    )
    notify.publish("cases", event)
    sent(notify, event["case_id"])
    [hook] = [r for r in peer.received("/p-link") if r.json["case_id"] == event["case_id"]]
    return {"id": event["case_id"], "number": event["payload"]["number"], **hook.json["links"]}


def calls(notify, case_id: str) -> list[dict]:
    return list(notify.client[f"{notify.prefix}cases"]["calls"].find({"case_id": case_id}))


def state(notify, case_id: str) -> str:
    return notify.client[f"{notify.prefix}cases"]["cases"].find_one({"_id": case_id})["state"]


def open_link(url: str, html: bool = False) -> requests.Response:
    headers = {"Accept": "text/html,application/xhtml+xml" if html else "application/json"}
    return requests.get(url, headers=headers, timeout=15)


def test_the_accept_link_of_a_dispatch_accepts_once_and_the_resolve_link_resolves(notify, case):
    assert set(case) >= {"accept", "decline", "resolve"}
    answer = open_link(case["accept"])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "ok": True,
        "action": "accept",
        "case": case["number"],
        "state": "accepted",
        "reason": "done",
        "message": "Done.",
    }
    [call] = calls(notify, case["id"])
    assert (call["action"], call["person_id"], call["role"]) == ("accept", "p-link", "volunteer")

    again = open_link(case["accept"].replace(notify.url(), notify.url(1)))
    assert again.status_code == 409
    assert again.json()["error"] | {"message": ""} == {
        "code": "link_used",
        "message": "",
        "state": "accepted",
    }
    assert len(calls(notify, case["id"])) == 1, "a reused link reaches nothing"

    declined = open_link(case["decline"])
    assert declined.status_code == 409 and declined.json()["error"]["code"] == "not_possible"
    assert state(notify, case["id"]) == "accepted"
    assert open_link(case["resolve"]).json()["state"] == "resolved"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        lambda token: token[:20],
        lambda token: token.replace(".", "x", 1),
        lambda token: "not-a-token",
    ],
    ids=["signature-changed", "cut-short", "payload-changed", "garbage"],
)
def test_a_tampered_link_is_refused_and_changes_nothing(notify, case, spoil):
    base, _, token = case["accept"].rpartition("/")
    answer = open_link(f"{base}/{spoil(token)}")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "link_invalid"
    assert calls(notify, case["id"]) == [] and state(notify, case["id"]) == "dispatched"
    assert open_link(case["accept"]).status_code == 200, "the real link still works"


def test_an_expired_link_is_refused_and_changes_nothing(notify, case, scenario):
    links = ActionLinks(TOKEN_SECRET, notify.url())
    expired = links.issue(case["id"], "accept", "p-link", datetime.now(UTC) - timedelta(seconds=1))
    answer = open_link(expired)
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "link_expired"
    page = open_link(expired, html=True)
    assert page.status_code == 410 and page.headers["Content-Type"].startswith("text/html")
    assert "链接已过期" in page.text and "This link has expired" in page.text
    assert calls(notify, case["id"]) == []


def test_a_link_of_someone_the_case_no_longer_belongs_to_is_refused(notify, case):
    cases = notify.client[f"{notify.prefix}cases"]["cases"]
    cases.update_one({"_id": case["id"]}, {"$set": {"assignee": "p-someone-else"}})
    answer = open_link(case["accept"], html=True)
    assert answer.status_code == 403 and "该案件已不由您处理" in answer.text
    assert state(notify, case["id"]) == "dispatched"


def test_an_opened_link_answers_with_a_page_for_a_browser(notify, case):
    answer = open_link(case["accept"], html=True)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert "接单：已完成" in answer.text and case["number"] in answer.text


def test_while_cases_is_away_a_link_answers_503_and_stays_usable(notify, case):
    notify.stop("cases-peer")
    started = time.monotonic()
    answer = open_link(case["accept"])
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "cases_unavailable"
    assert answer.headers["Retry-After"]
    assert time.monotonic() - started < 10
    notify.start_cases_peer()
    notify.wait_ready()
    assert open_link(case["accept"]).status_code == 200
    # the call made while cases was away expired in the broker: it did not act late
    assert [call["action"] for call in calls(notify, case["id"])] == ["accept"]


def test_an_unknown_link_path_is_a_json_404(notify):
    answer = requests.get(f"{notify.url()}/v1/links/", timeout=5)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
