"""Two-way action links on the running notify. Opening a link (what a chat preview or a
mail scanner does too) shows the case and a confirm button and changes nothing; only the
page's POST acts, once, through `cases.perform_action` (answered here by the cases peer
over the real broker). A tampered, expired, reused, revoked or misdirected link, or a
POST that did not come from the link's page, is refused and changes nothing; no action
link is ever posted to a group."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from services.notify.domain.links import ActionLinks
from tests.notify.harness import TOKEN_SECRET, NotifyRun, envelope
from tests.notify.scenario import add_person, dispatched, sent
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def notify(scenario, peer, tmp_path_factory):
    env = scenario.env(NOTIFY_RATE_COUNT="1000")  # one volunteer gets every test's dispatch
    with NotifyRun(tmp_path_factory.mktemp("notify"), env) as run:
        add_person(run, scenario, "p-link", [("webhook", peer.url("/p-link"))])
        yield run


def offer(notify, scenario, peer, person_id: str = "p-link", event: dict | None = None) -> dict:
    """A case dispatched (or assigned) to the person, as the cases peer knows it, and the
    links the person's webhook got."""
    event = event or dispatched(scenario, person_id)
    cases = notify.client[f"{notify.prefix}cases"]["cases"]
    number = event["payload"]["number"]
    cases.insert_one(
        {"_id": event["case_id"], "number": number, "state": "dispatched", "assignee": person_id}
    )
    notify.publish("cases", event)
    sent(notify, event["case_id"])
    path = peer.received(f"/{person_id}")
    [hook] = [r for r in path if r.json["case_id"] == event["case_id"]]
    return {"id": event["case_id"], "number": number, "event": event, **hook.json["links"]}


@pytest.fixture
def case(notify, scenario, peer):
    return offer(notify, scenario, peer)


def calls(notify, case_id: str) -> list[dict]:
    return list(notify.client[f"{notify.prefix}cases"]["calls"].find({"case_id": case_id}))


def state(notify, case_id: str) -> str:
    return notify.client[f"{notify.prefix}cases"]["cases"].find_one({"_id": case_id})["state"]


def look(url: str, html: bool = False) -> requests.Response:
    return requests.get(url, headers=BROWSER if html else JSON, timeout=15)


def confirm(url: str, **overrides) -> requests.Response:
    """What an app does: GET the link's JSON, POST its confirmation back."""
    shown = look(url)
    assert shown.status_code == 200, shown.text
    body = {"confirm": shown.json()["confirm"], **overrides}
    return requests.post(url, json=body, headers=JSON, timeout=15)


def page_form(html: str) -> tuple[str, dict[str, str]]:
    form = re.search(r'<form method="post" action="([^"]*)">(.*?)</form>', html, re.S)
    assert form, html
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(2)))
    return form.group(1), fields


def test_opening_a_link_shows_the_case_and_changes_nothing(notify, case):
    """A chat preview fetched the SMS accept link and the case went dispatched → accepted."""
    for replica in (0, 1, 0):
        shown = requests.get(case["accept"].replace(notify.url(), notify.url(replica)), timeout=15)
        assert shown.status_code == 200
    assert requests.head(case["accept"], timeout=15).status_code == 200
    page = look(case["accept"], html=True)
    assert calls(notify, case["id"]) == [] and state(notify, case["id"]) == "dispatched"

    preview = look(case["accept"]).json()
    assert (preview["action"], preview["case"], preview["used"]) == (
        "accept",
        case["number"],
        False,
    )
    assert preview["category"] == "楼道灯坏" and "5栋2单元" in preview["place"]
    assert "138****5678" in preview["description"], "what the person's message showed, masked"
    assert preview["expires_at"] == case["event"]["payload"]["offer_expires_at"][:19] + "+00:00"

    html = page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="zh-CN">' in html and 'name="viewport"' in html
    assert case["number"] in html and "确认接单" in html and "13812345678" not in html
    action, fields = page_form(html)
    assert action == "" and set(fields) == {"confirm"}, "the form posts back to the link itself"
    assert not re.search(r'(src|href)="https?://', html), "no external asset"
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]


def test_the_confirmed_link_acts_once_and_a_second_post_says_it_was_used(notify, case):
    assert set(case) >= {"accept", "decline"} and "resolve" not in case, "resolve comes later"
    done = confirm(case["accept"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["ok"], body["action"], body["case"], body["state"]) == (
        True,
        "accept",
        case["number"],
        "accepted",
    )
    [call] = calls(notify, case["id"])
    assert (call["action"], call["person_id"], call["role"]) == ("accept", "p-link", "volunteer")

    shown = look(case["accept"])  # the confirmation still known from before
    again = requests.post(
        case["accept"].replace(notify.url(), notify.url(1)),
        json={"confirm": "x" * 24},
        headers=JSON,
        timeout=15,
    )
    assert shown.status_code == 409 and shown.json()["error"]["code"] == "link_used"
    assert again.status_code in (403, 409)
    reused = requests.post(
        case["accept"], json={"confirm": body_confirm(case["accept"])}, headers=JSON, timeout=15
    )
    assert reused.status_code == 409
    assert reused.json()["error"] | {"message": ""} == {
        "code": "link_used",
        "message": "",
        "state": "accepted",
    }
    assert len(calls(notify, case["id"])) == 1, "a reused link reaches nothing"

    declined = confirm(case["decline"])
    assert declined.status_code == 409 and declined.json()["error"]["code"] == "not_possible"
    assert state(notify, case["id"]) == "accepted"
    resolved = confirm(body["links"]["resolve"])
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"


def body_confirm(url: str) -> str:
    """The confirmation of a link, as its page would carry it (made here with the secret)."""
    links = ActionLinks(TOKEN_SECRET, url.split("/v1/links/")[0])
    return links.confirmation(links.read(url.rpartition("/")[2], datetime.now(UTC)))


def test_a_browser_confirms_on_the_page_and_is_offered_the_resolve_link(notify, case):
    page = look(case["accept"], html=True)
    _, fields = page_form(page.text)
    origin = case["accept"].split("/v1/links/")[0]  # the page's own, as a browser sends it
    done = requests.post(
        case["accept"],
        data=fields,
        headers={**BROWSER, "Origin": origin, "Sec-Fetch-Site": "same-origin"},
        timeout=15,
    )
    assert done.status_code == 200, done.text
    assert "接单：已完成" in done.text and case["number"] in done.text
    assert state(notify, case["id"]) == "accepted"
    resolve = re.search(r'href="([^"]*/v1/links/[^"]+)"', done.text).group(1)
    assert "确认已处置" in look(resolve, html=True).text
    used = look(case["accept"], html=True)
    assert used.status_code == 409 and "链接已使用过" in used.text
    assert re.search(r'href="[^"]*/v1/links/[^"]+"', used.text), "the resolve link again"


@pytest.mark.parametrize(
    ("confirmation", "headers"),
    [
        (None, {}),
        ("another", {}),
        ("page", {"Origin": "https://evil.example"}),
        ("page", {"Origin": "null"}),
        ("page", {"Sec-Fetch-Site": "cross-site"}),
    ],
    ids=["no-confirmation", "another-links", "other-origin", "opaque-origin", "cross-site"],
)
def test_a_post_that_did_not_come_from_the_links_page_is_refused(
    notify, case, confirmation, headers
):
    given = {
        None: {},
        "another": {"confirm": body_confirm(case["decline"])},
        "page": {"confirm": body_confirm(case["accept"])},
    }[confirmation]
    refused = requests.post(case["accept"], data=given, headers={**JSON, **headers}, timeout=15)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "link_unconfirmed"
    assert calls(notify, case["id"]) == [] and state(notify, case["id"]) == "dispatched"
    assert confirm(case["accept"]).status_code == 200, "the real page still works"


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
    for method in ("GET", "POST"):
        answer = requests.request(method, f"{base}/{spoil(token)}", headers=JSON, timeout=15)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "link_invalid"
    assert calls(notify, case["id"]) == [] and state(notify, case["id"]) == "dispatched"
    assert confirm(case["accept"]).status_code == 200, "the real link still works"


def test_an_expired_link_is_refused_and_changes_nothing(notify, case):
    links = ActionLinks(TOKEN_SECRET, notify.url())
    now = datetime.now(UTC)
    expired = links.issue("DL-X", case["id"], "accept", "p-link", now - timedelta(hours=1), now)
    answer = look(expired)
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "link_expired"
    page = look(expired, html=True)
    assert page.status_code == 410 and page.headers["Content-Type"].startswith("text/html")
    assert "链接已过期" in page.text and "This link has expired" in page.text
    assert calls(notify, case["id"]) == []


def test_a_link_of_someone_the_case_no_longer_belongs_to_is_refused(notify, case):
    cases = notify.client[f"{notify.prefix}cases"]["cases"]
    cases.update_one({"_id": case["id"]}, {"$set": {"assignee": "p-someone-else"}})
    answer = confirm(case["accept"])
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "wrong_person"
    assert state(notify, case["id"]) == "dispatched"


@pytest.mark.parametrize("change", ["deactivated", "access_reset"])
def test_a_link_of_an_inactive_person_or_issued_before_their_access_since_is_refused(
    notify, scenario, peer, change
):
    person_id = f"p-revoked-{change}"
    add_person(notify, scenario, person_id, [("webhook", peer.url(f"/{person_id}"))])
    before = offer(notify, scenario, peer, person_id)
    changed = scenario.person(person_id, [("webhook", peer.url(f"/{person_id}"))], version=2)
    if change == "deactivated":
        changed["payload"]["active"] = False
    else:
        changed["payload"]["access_since"] = datetime.now(UTC).isoformat()
    notify.publish("roster", changed)
    wait_until(
        "the change in notify",
        lambda: notify.db["people"].find_one({"_id": person_id})["version"] == 2,
    )
    # the access replica is its own collection, read through a short cache: wait until
    # the link says so, then hold both ways of using it to the refusal
    wait_until("the link to be refused", lambda: look(before["accept"]).status_code == 403)
    for attempt in (
        look(before["accept"]),
        requests.post(
            before["accept"],
            json={"confirm": body_confirm(before["accept"])},
            headers=JSON,
            timeout=15,
        ),
    ):
        assert attempt.status_code == 403 and attempt.json()["error"]["code"] == "link_revoked"
    assert calls(notify, before["id"]) == []
    if change == "access_reset":
        after = offer(notify, scenario, peer, person_id)  # issued after the reset
        assert confirm(after["accept"]).status_code == 200


def test_while_cases_is_away_a_confirmed_link_answers_503_and_stays_usable(notify, case):
    notify.stop("cases-peer")
    started = time.monotonic()
    answer = confirm(case["accept"])
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "cases_unavailable"
    assert answer.headers["Retry-After"]
    assert time.monotonic() - started < 10
    notify.start_cases_peer()
    notify.wait_ready()
    assert confirm(case["accept"]).status_code == 200
    # the call made while cases was away expired in the broker: it did not act late
    assert [call["action"] for call in calls(notify, case["id"])] == ["accept"]


def test_an_assignment_carries_the_accept_and_decline_links(notify, scenario, peer):
    """It carried only a resolve link, while the case must be accepted first."""
    about = scenario.case()
    event = envelope(
        "case.assigned",
        {**about, "person_id": "p-link", "display_name": "侯**", "by": "staff"},
        about["case_id"],
    )
    assigned = offer(notify, scenario, peer, event=event)
    assert {"accept", "decline"} <= set(assigned) and "resolve" not in assigned
    done = confirm(assigned["accept"])
    assert done.status_code == 200 and done.json()["state"] == "accepted"
    assert "resolve" in done.json()["links"]


@pytest.mark.parametrize("where", ["grid-group", "default-webhook"])
def test_no_action_link_is_posted_to_a_group_which_is_told_where_to_act(
    notify, scenario, peer, tap, where
):
    """When a person's own channels fail the message falls back to a group: the case
    named, no bearer link beside it. (`tap` binds the queue metrics would have for the
    notification.* events a dead delivery publishes.)"""
    person_id = f"p-unreachable-{where}"
    peer.behave(f"/{person_id}", fail=1000, status=404)
    add_person(notify, scenario, person_id, [("webhook", peer.url(f"/{person_id}"))])
    overrides = {} if where == "grid-group" else {"grid_id": "nt-no-such-grid"}
    event = dispatched(scenario, person_id, **overrides)
    if where == "default-webhook":
        event["payload"]["community_id"] = "nt-elsewhere"
    notify.publish("cases", event)
    [told] = sent(notify, event["case_id"])
    path = "/wecom" if where == "grid-group" else "/default"
    assert told["contact"]["address"].startswith("group:")
    number = event["payload"]["number"]
    [posted] = [r for r in peer.received(path) if number in r.body.decode()]
    body = posted.body.decode()
    assert "/v1/links/" not in body and "/v/" not in body  # nor the case page's link
    assert "只发给本人" in body and "Lianxin console" in body
    assert "/v1/links/" not in str(told["message"])
