"""Notify with the other three services: a reported case reaches the volunteer roster put
on duty, by the SMS number roster published for them; the accept link in that SMS shows
the case, and its confirmation (then the resolve link it offers) acts on the case through
the real cases service.

Depends on roster's `person.changed` (contacts) and cases' `perform_action` RPC. notify's
replicas are restarted here with an SMS gateway (a local peer) and put back as they were.
"""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.conftest import (
    community,
    get_case,
    notify_restarted,
    report_case,
    sink_address,
    wait_for_state,
    wait_until,
)
from tests.notify.peers import HttpPeer

pytestmark = pytest.mark.e2e

SMS_KEY = "flow-test-sms-gateway-key-0123"
LINK = re.compile(r"https?://\S+/v1/links/[A-Za-z0-9._-]+")
CASE_PAGE = re.compile(r"https?://\S+/v/[A-Za-z0-9._-]+")


@pytest.fixture(scope="module")
def gateway(stack, sink):
    """An SMS gateway on loopback, and notify restarted to use it."""
    peer = HttpPeer()
    with notify_restarted(
        stack,
        NOTIFY_SMS_URL=peer.url("/sms"),
        NOTIFY_SMS_API_KEY=SMS_KEY,
        NOTIFY_PUBLIC_URL=stack.url("notify"),
        NOTIFY_EGRESS_ALLOW=f"{sink_address(sink)}, {peer.address}",
    ):
        yield peer
    peer.stop()


def sms_about(gateway, number: str) -> list[dict]:
    return [r.json for r in gateway.received("/sms") if number in r.json["text"]]


# Urgent (parking.fire_lane), so the volunteers' quiet hours (22:30–06:30 in the sample)
# never hold the SMS: the test means the same at any hour.
FIRE_LANE = "5栋门口消防通道被一辆白色小车占了 fire lane blocked by a car"


def test_a_dispatch_reaches_the_volunteer_by_sms_and_its_links_act_on_the_case(stack, gateway, db):
    reported = report_case(stack, community(), description=FIRE_LANE)
    case = wait_for_state(stack, reported["id"], "dispatched")
    assert case["priority"] == "urgent"
    person = db("notify")["people"].find_one({"_id": case["assignee"]})
    assert person is not None, "roster's person.changed reached notify"
    phone = next(c["address"] for c in person["contacts"] if c["channel"] == "sms")

    [sms] = wait_until("the dispatch SMS", lambda: sms_about(gateway, case["number"]))
    assert sms["to"] == phone
    assert "消防通道" in sms["text"], "the category in words"
    # the SMS's one link is the case's page in the console (tests/e2e/console/
    # test_volunteer_cases.py opens it); the accept link is the e-mail's and robot's button
    assert CASE_PAGE.search(sms["text"]) and not LINK.search(sms["text"])
    # the volunteer's delivery, not the reporter's progress SMS about the same case
    sent = db("notify")["deliveries"].find_one(
        {"case_id": case["id"], "contact.channel": "sms", "recipient.key": case["assignee"]}
    )
    assert sent is not None, "notify stored the volunteer's SMS delivery"
    accept = sent["message"]["links"]["accept"]
    shown = requests.get(accept, headers={"Accept": "application/json"}, timeout=15)
    assert shown.status_code == 200, shown.text
    assert get_case(stack, case["id"])["state"] == "dispatched", "opening a link does nothing"
    confirm = {"confirm": shown.json()["confirm"]}
    opened = requests.post(accept, json=confirm, headers={"Accept": "application/json"}, timeout=15)
    assert opened.status_code == 200, opened.text
    assert opened.json()["state"] == "accepted"
    assert get_case(stack, case["id"])["state"] == "accepted"
    reused = requests.post(accept, json=confirm, headers={"Accept": "application/json"}, timeout=15)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "link_used"

    resolve = opened.json()["links"]["resolve"]
    page = requests.get(resolve, headers={"Accept": "text/html"}, timeout=15)
    assert page.status_code == 200 and "确认已处置" in page.text
    confirmation = re.search(r'name="confirm" value="([^"]+)"', page.text).group(1)
    done = requests.post(
        resolve, data={"confirm": confirmation}, headers={"Accept": "text/html"}, timeout=15
    )
    assert done.status_code == 200 and "已处置：已完成" in done.text
    assert get_case(stack, case["id"])["state"] == "resolved"
