"""Notify on the real broker and database, delivering to real peers on 127.0.0.1: each
channel's format, routing by person, group, resident, hotline and Alertmanager labels.

Notify runs as two processes on its own vhost (tests/notify/harness.py); the tests put
the events of docs/events.md on the bus themselves, as cases and roster would.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime

import pytest
import requests

from lianxin.access.progress_links import ProgressLinks
from tests.notify.harness import TOKEN_SECRET, NotifyRun, envelope, wait_until
from tests.notify.peers import HttpPeer
from tests.notify.scenario import add_person, dispatched, sent

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def notify(scenario, tmp_path_factory):
    with NotifyRun(tmp_path_factory.mktemp("notify"), scenario.env()) as run:
        for place in scenario.places():
            run.publish("roster", place)
        wait_until("the places", lambda: run.db["places"].count_documents({}) == 3)
        yield run


def test_a_dispatch_reaches_the_volunteer_by_sms_with_the_case_in_words(
    notify, scenario, peer, tap
):
    add_person(notify, scenario, "p-sms", [("sms", "13912345678"), ("email", "sms@x.cn")])
    event = dispatched(scenario, "p-sms")
    notify.publish("cases", event)

    [delivery] = sent(notify, event["case_id"])
    assert delivery["contact"]["channel"] == "sms"
    [sms] = [r for r in peer.received("/sms") if r.json["reference"] == delivery["_id"]]
    assert sms.headers["Authorization"] == f"Bearer {scenario.secrets['sms_key']}"
    text = sms.json["text"]
    assert sms.json["to"] == "13912345678"
    assert event["payload"]["number"] in text and "楼道灯坏" in text and "5栋2单元" in text
    assert "/v/" in text and "/v1/links/" not in text, "its one link: the case's page"
    assert "/v1/links/" in str(delivery["message"]["links"]), "the accept link is the e-mail's"
    assert "13812345678" not in str(delivery), "a phone number in the description is masked"
    body = delivery["message"]["text"]
    assert "第一网格（1–16栋）" in body and scenario.grids[0] not in body
    assert re.search(r"\d+月\d+日 \d\d:\d\d（北京时间 UTC\+08:00）", body)
    assert "facility.lighting" not in body and "normal" not in body.split("\n\n")[0]
    assert wait_until("the delivered event", lambda: tap.about(delivery["_id"])) == [
        "notification.delivered"
    ]


def test_an_escalation_reaches_the_target_by_email_and_the_grid_group_on_wecom(
    notify, scenario, peer, smtp
):
    add_person(notify, scenario, "p-leader", [("email", "leader@test.cn")], roles=("grid_leader",))
    about = scenario.case()
    event = envelope(
        "case.escalated",
        {
            **about,
            "state": "escalated",
            "level": "grid_leader",
            "step": 1,
            "reason": "nobody on duty",
            "target": {"person_id": "p-leader", "display_name": "刘**", "department": None},
        },
        about["case_id"],
    )
    notify.publish("cases", event)
    sent(notify, about["case_id"], count=2)

    [mail] = [m for m in smtp.messages if about["number"] in m["Subject"]]
    assert mail["To"] == "leader@test.cn"
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "当前无人值班" in plain and "nobody on duty" in plain, "the reason in both languages"
    assert "网格长" in plain and "<br>" in html and about["number"] in html
    [robot] = [r for r in peer.received("/wecom") if about["number"] in r.body.decode()]
    assert robot.query["key"] == [scenario.secrets["wecom_key"]]
    assert robot.json["msgtype"] == "markdown"
    assert robot.json["markdown"]["content"].startswith("**【连心】案件升级")


def test_a_dingtalk_group_gets_a_signed_action_card(notify, scenario, peer):
    about = scenario.case(grid=1)  # the second grid's group is a DingTalk robot
    event = envelope(
        "case.overdue",
        {**about, "which": "accept", "due_at": datetime.now(UTC).isoformat()},
        about["case_id"],
    )
    notify.publish("cases", event)
    sent(notify, about["case_id"])
    [robot] = [r for r in peer.received("/dingtalk") if about["number"] in r.body.decode()]
    assert robot.query["access_token"] == [scenario.secrets["dingtalk_token"]]
    assert robot.dingtalk_signed_by(scenario.secrets["dingtalk_secret"])
    assert not robot.dingtalk_signed_by("SEC-some-other-secret")
    assert robot.json["msgtype"] == "markdown"
    assert "已超过接单时限" in robot.json["markdown"]["text"]


def test_a_warning_reaches_whom_the_event_names_as_assignee_with_no_follow_kept(
    notify, scenario, peer
):
    add_person(notify, scenario, "p-warned", [("sms", "13912340001")])
    about = scenario.case(assignee={"person_id": "p-warned", "display_name": "何**"})
    event = envelope(
        "case.warning",
        {**about, "which": "resolve", "due_at": datetime.now(UTC).isoformat(), "share": 0.8},
        about["case_id"],
    )
    notify.publish("cases", event)
    [delivery] = sent(notify, about["case_id"])
    assert delivery["recipient"]["key"] == "p-warned"
    assert [r.json["to"] for r in peer.received("/sms") if r.json["reference"] == delivery["_id"]]
    assert notify.db["follows"].find_one({"_id": about["case_id"]}) is None


def test_the_hotline_gets_its_reply_signed_with_its_own_secret(notify, scenario, peer):
    event = envelope(
        "hotline.reply",
        {
            "case_id": "LX-HOTLINE000000001",
            "community_id": scenario.community,
            "hotline_id": "hl-test",
            "order_no": "GD-2026-000123",
            "kind": "closed",
            "result": "已更换灯泡，居民确认",
            "rating": 5,
            "reason": None,
            "until": None,
        },
        "LX-HOTLINE000000001",
    )
    notify.publish("cases", event)
    wait_until("the hotline reply", lambda: peer.received("/hotline"))
    [reply] = [r for r in peer.received("/hotline") if r.json["order_no"] == "GD-2026-000123"]
    assert reply.signed_by(scenario.secrets["hotline_secret"])
    assert not reply.signed_by(scenario.secrets["signing"])
    assert (reply.json["kind"], reply.json["result"], reply.json["rating"]) == (
        "closed",
        "已更换灯泡，居民确认",
        5,
    )


def test_a_resident_who_consented_hears_of_progress_with_their_progress_link(
    notify, scenario, peer
):
    about = scenario.case()
    contact = {"phone": "13700001111", "email": None, "consent": True}
    notify.publish(
        "cases",
        envelope(
            "case.reported", {**about, "contact": contact, "state": "reported"}, about["case_id"]
        ),
    )
    add_person(notify, scenario, "p-plain", [])
    wait_until("the follow", lambda: notify.db["follows"].find_one({"_id": about["case_id"]}))
    notify.publish("cases", dispatched(scenario, "p-plain", **about))

    def to_resident():
        return [r.json["text"] for r in peer.received("/sms") if r.json["to"] == "13700001111"]

    [told] = wait_until("the dispatch progress", to_resident)
    assert "已派单" in told and about["number"] in told
    # closed comes later, as in life: two replicas may take events of one queue out of order
    notify.publish("cases", envelope("case.closed", {**about, "state": "closed"}, about["case_id"]))
    texts = wait_until("the closing message", lambda: len(to_resident()) == 2 and to_resident())
    link = texts[1].split("请评价：")[1].split()[0]
    reader = ProgressLinks(TOKEN_SECRET).read(link.rsplit("/r/", 1)[1], datetime.now(UTC))
    assert (reader.case_id, reader.is_reporter) == (about["case_id"], True)
    assert "/r/" in told, "every progress message names the page"
    follow = notify.db["follows"].find_one({"_id": about["case_id"]})
    assert follow["contact"] is None, "the resident's contact is not kept past the closing"


def test_a_resident_without_consent_is_told_nothing(notify, scenario, peer):
    about = scenario.case()
    contact = {"phone": "13700002222", "email": None, "consent": False}
    before = notify.handled()
    notify.publish(
        "cases", envelope("case.reported", {**about, "contact": contact}, about["case_id"])
    )
    notify.publish(
        "cases", envelope("case.resolved", {**about, "state": "resolved"}, about["case_id"])
    )
    wait_until("both events handled", lambda: notify.handled() >= before + 2)
    assert notify.db["follows"].find_one({"_id": about["case_id"]}).get("contact") is None
    assert notify.deliveries(case_id=about["case_id"]) == []
    assert not [r for r in peer.received("/sms") if r.json["to"] == "13700002222"]


def test_an_alertmanager_payload_reaches_the_staff_and_their_group(notify, scenario, peer, smtp):
    add_person(notify, scenario, "p-staff", [("email", "staff@test.cn")], roles=("staff",))
    key = notify.issue_key(["alerts"], [scenario.community])
    fingerprint = threading.get_ident() % 100000
    payload = {
        "version": "4",
        "status": "firing",
        "receiver": "lianxin",
        "groupKey": '{}:{alertname="LianxinDeadLetters"}',
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "LianxinDeadLetters",
                    "severity": "critical",
                    "community": scenario.community,
                },
                "annotations": {"summary": "消息积压在死信队列"},
                "startsAt": datetime.now(UTC).isoformat(),
                "fingerprint": f"fp{fingerprint}",
            },
            {
                "status": "firing",
                "labels": {"alertname": "Other", "community": "someone-else"},
                "startsAt": datetime.now(UTC).isoformat(),
            },
        ],
    }
    answer = requests.post(
        f"{notify.url()}/v1/alertmanager",
        json=payload,
        headers={"Authorization": f"ApiKey {key}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["routed"], answer.json()["skipped"]) == (1, 1)
    wait_until(
        "the staff e-mail",
        lambda: [m for m in smtp.messages if "LianxinDeadLetters" in m["Subject"]],
    )
    staff_hook = wait_until(
        "the staff group",
        lambda: [r for r in peer.received("/staff") if "消息积压" in r.body.decode()],
    )[0]
    assert staff_hook.signed_by(scenario.secrets["signing"])
    again = requests.post(
        f"{notify.url(1)}/v1/alertmanager",
        json=payload,
        headers={"Authorization": f"ApiKey {key}"},
        timeout=10,
    )
    assert again.json()["deliveries"] == answer.json()["deliveries"]
    assert (
        len(notify.deliveries(cause_id=notify.delivery(answer.json()["deliveries"][0])["cause_id"]))
        == 2
    ), "Alertmanager's retry of the same notification sends nothing twice"


@pytest.mark.parametrize(
    ("body", "status"),
    [({"alerts": []}, 400), ({"alerts": [{"labels": {}}]}, 400), ({"status": "firing"}, 400)],
)
def test_a_bad_alertmanager_payload_is_refused_and_stores_nothing(notify, scenario, body, status):
    key = notify.issue_key(["alerts"], [scenario.community])
    before = notify.db["deliveries"].count_documents({})
    answer = requests.post(
        f"{notify.url()}/v1/alertmanager", json=body, headers={"X-Api-Key": key}, timeout=10
    )
    assert answer.status_code == status and answer.json()["error"]["code"] == "invalid_request"
    assert notify.db["deliveries"].count_documents({}) == before


def test_a_webhook_pointed_at_an_internal_address_reaches_nothing_and_the_next_channel_follows(
    notify, scenario, peer
):
    """As an admin import could set it: a person's webhook at a loopback service notify's
    allow-list does not name. No request reaches it, nothing of it is shown, the
    delivery dies at once for good and the person's SMS follows."""
    internal = HttpPeer()
    try:
        internal.behave("/v1/keys", ok_body=b'{"admin": "INTERNAL-ANSWER-TEXT"}')
        add_person(
            notify,
            scenario,
            "p-ssrf",
            [("webhook", internal.url("/v1/keys")), ("sms", "13912340077")],
        )
        event = dispatched(scenario, "p-ssrf")
        notify.publish("cases", event)
        [fallback] = sent(notify, event["case_id"])
        assert fallback["contact"]["channel"] == "sms"
        [dead] = notify.deliveries(case_id=event["case_id"], state="dead")
        assert dead["attempts"] == 1, "refused for good, not retried"
        assert "not allowed" in dead["history"][-1]["error"]
        assert internal.received() == []
        assert "INTERNAL-ANSWER-TEXT" not in str(notify.deliveries(case_id=event["case_id"]))
    finally:
        internal.stop()


def test_what_a_receiver_answers_is_not_kept_beyond_its_status(notify, scenario, peer):
    peer.behave("/chatty", ok_body=b'{"errcode": 0, "token": "INTERNAL-ANSWER-TEXT"}')
    add_person(notify, scenario, "p-chatty", [("webhook", peer.url("/chatty"))])
    event = dispatched(scenario, "p-chatty")
    notify.publish("cases", event)
    [delivery] = sent(notify, event["case_id"])
    assert delivery["history"][-1]["response"] == "HTTP 200"
    admin = notify.issue_key(["admin"], ["*"])
    shown = requests.get(
        f"{notify.url()}/v1/deliveries/{delivery['_id']}", headers={"X-Api-Key": admin}, timeout=5
    )
    assert shown.json()["provider_response"] == "HTTP 200"
    assert "INTERNAL-ANSWER-TEXT" not in shown.text


@pytest.mark.parametrize("scopes", [["report"], ["report", "read", "act", "tokens"]])
def test_only_an_alerts_key_may_post_alerts(notify, scenario, scopes):
    """A resident app's key (report) could otherwise page every staff member, urgently,
    past their quiet hours; only Alertmanager's key (alerts, or admin) may."""
    key = notify.issue_key(scopes, [scenario.community])
    before = notify.db["deliveries"].count_documents({})
    alert = {
        "status": "firing",
        "labels": {"alertname": "Fake", "severity": "critical", "community": scenario.community},
    }
    answer = requests.post(
        f"{notify.url()}/v1/alertmanager",
        json={"alerts": [alert]},
        headers={"X-Api-Key": key},
        timeout=10,
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert notify.db["deliveries"].count_documents({}) == before


def test_an_alert_name_with_a_line_break_still_reaches_the_staff_by_email(notify, scenario, smtp):
    """It made the e-mail channel fail until the alert was dead-lettered, with no fallback."""
    add_person(notify, scenario, "p-staff-2", [("email", "staff2@test.cn")], roles=("staff",))
    key = notify.issue_key(["alerts"], [scenario.community])
    name = f"Disk{threading.get_ident() % 1000}\r\nBcc: spy@evil.cn"
    alert = {
        "status": "firing",
        "labels": {"alertname": name, "severity": "critical", "community": scenario.community},
        "startsAt": datetime.now(UTC).isoformat(),
    }
    answer = requests.post(
        f"{notify.url()}/v1/alertmanager",
        json={"alerts": [alert]},
        headers={"X-Api-Key": key},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    first_line = name.split("\r")[0]
    mail = wait_until(
        "the staff e-mail",
        lambda: [m for m in smtp.messages if f"{first_line} Bcc" in m["Subject"]],
    )[0]
    assert "\n" not in mail["Subject"] and "Bcc: spy@evil.cn" in mail["Subject"]
    assert mail["Bcc"] is None
    assert all("spy@evil.cn" not in envelope.rcpt_tos for envelope, _ in smtp.mailbox.messages)


def test_a_contact_naming_a_robot_by_id_reaches_that_robot_and_an_unknown_id_falls_back(
    notify, scenario, peer
):
    """The sample's `wecom:g1-leader` contacts were silently skipped. A robot the routes
    name is sent to; one they do not is counted as a failed delivery (`unresolved`),
    logged, and the person's next channel takes the message."""
    add_person(notify, scenario, "p-robot", [("wecom", "r-own")])
    add_person(notify, scenario, "p-no-robot", [("wecom", "r-missing"), ("sms", "13912340088")])
    before = unresolved_count(notify)
    reached, missing = dispatched(scenario, "p-robot"), dispatched(scenario, "p-no-robot")
    notify.publish("cases", reached)
    notify.publish("cases", missing)

    [robot] = sent(notify, reached["case_id"])
    assert robot["contact"] == {"channel": "wecom", "address": "r-own"}
    number = reached["payload"]["number"]
    [posted] = [r for r in peer.received("/robot-own") if number in r.body.decode()]
    assert posted.json["msgtype"] == "markdown" and "/v1/links/" in posted.body.decode()

    [fallback] = sent(notify, missing["case_id"])
    assert fallback["contact"] == {"channel": "sms", "address": "13912340088"}
    assert wait_until("the failure counted", lambda: unresolved_count(notify) == before + 1)
    assert "no wecom robot 'r-missing'" in notify.logs()


def unresolved_count(notify) -> float:
    wanted = 'lianxin_notify_deliveries_total{channel="wecom",outcome="unresolved"} '
    total = 0.0
    for replica, (_, metrics) in enumerate(notify.ports):
        if f"notify-{replica}" in notify.processes:
            text = requests.get(f"http://127.0.0.1:{metrics}/metrics", timeout=5).text
            total += sum(
                float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)
            )
    return total


# Residents: told of a rejection and of a merge, and a merged reporter follows on


def report(notify, scenario, phone: str, **overrides) -> dict:
    about = scenario.case(**overrides)
    contact = {"phone": phone, "email": None, "consent": True}
    return envelope(
        "case.reported", {**about, "contact": contact, "state": "reported"}, about["case_id"]
    )


def texts_to(peer, phone: str) -> list[str]:
    return [r.json["text"] for r in peer.received("/sms") if r.json["to"] == phone]


def test_a_rejected_case_tells_its_resident_why(notify, scenario, peer):
    reported = report(notify, scenario, "13700003333")
    notify.publish("cases", reported)
    about = reported["payload"]
    wait_until("the follow", lambda: notify.db["follows"].find_one({"_id": about["case_id"]}))
    reason = "不属本社区辖区，已转交物业（电话13812345678）"
    rejected = {**about, "state": "rejected", "reason": reason, "returned_to": "reporter"}
    notify.publish("cases", envelope("case.rejected", rejected, about["case_id"]))
    [told] = wait_until("the rejection", lambda: texts_to(peer, "13700003333"))
    assert about["number"] in told and "不属本社区辖区" in told and "138****5678" in told
    follow = notify.db["follows"].find_one({"_id": about["case_id"]})
    assert follow["contact"] is None, "the contact is let go once told of the end"


def merged(into: dict, duplicate: dict) -> dict:
    payload = {
        **duplicate,
        "state": "merged",
        "into_case_id": into["case_id"],
        "into_number": into["number"],
    }
    payload.pop("contact", None)
    return envelope("case.merged", payload, duplicate["case_id"])


@pytest.mark.parametrize("order", ["reported-first", "merged-first"])
def test_a_merged_reporter_is_told_and_follows_the_case_it_joined(notify, scenario, peer, order):
    first, second = (f"1370000{order == 'merged-first':d}{n}44" for n in (1, 2))
    original = report(notify, scenario, first)
    duplicate = report(notify, scenario, second)
    notify.publish("cases", original)
    wait_until(
        "the original's follow", lambda: notify.db["follows"].find_one({"_id": original["case_id"]})
    )
    into, dup = original["payload"], duplicate["payload"]
    events = [duplicate, merged(into, dup)]
    for event in events if order == "reported-first" else reversed(events):
        notify.publish("cases", event)
    [told] = wait_until("the merge notice", lambda: texts_to(peer, second))
    assert into["number"] in told and "合并" in told

    notify.publish("cases", dispatched(scenario, "p-nobody", **into))
    for phone in (first, second):
        wait_until(
            f"the dispatch progress to {phone}",
            lambda phone=phone: [
                t for t in texts_to(peer, phone) if "已派单" in t and into["number"] in t
            ],
        )
    notify.publish("cases", envelope("case.closed", {**into, "state": "closed"}, into["case_id"]))
    for phone in (first, second):
        wait_until(
            f"the closing to {phone}",
            lambda phone=phone: [t for t in texts_to(peer, phone) if "已办结" in t],
        )
    assert notify.db["follows"].find_one({"_id": into["case_id"]})["followers"] == {}
    assert notify.db["follows"].find_one({"_id": dup["case_id"]})["contact"] is None


@pytest.mark.parametrize(
    ("scopes", "elsewhere", "status"),
    [
        (["report"], False, 403),  # a resident app's key
        (["report", "read", "act", "tokens"], False, 403),  # everything but sign_in
        (["sign_in"], True, 404),  # the console key of another community
    ],
)
def test_only_a_sign_in_key_of_the_persons_community_may_text_them_a_code(
    notify, scenario, scopes, elsewhere, status
):
    """Otherwise any key could text a staff member codes (or their own text, through a
    six-digit field) at will; another community's console learns no more than it would of
    nobody."""
    person = f"p-code-{uuid.uuid4().hex[:8]}"
    add_person(notify, scenario, person, [("sms", "13807310700")], roles=("staff",))
    ask = {"person_id": person, "code": "424242"}

    def send(key: str) -> requests.Response:
        return requests.post(
            f"{notify.url()}/v1/sign-in-codes", json=ask, headers={"X-Api-Key": key}, timeout=10
        )

    codes = {"kind": "sign_in_code", "recipient.key": person}
    refused = send(notify.issue_key(scopes, ["elsewhere" if elsewhere else scenario.community]))
    assert refused.status_code == status, refused.text
    assert notify.db["deliveries"].count_documents(codes) == 0
    granted = send(notify.issue_key(["sign_in"], [scenario.community]))  # the same ask, allowed
    assert granted.status_code == 202, granted.text
    assert notify.db["deliveries"].count_documents(codes) == 1
    assert "424242" not in str(notify.db["deliveries"].find_one(codes))


@pytest.mark.parametrize(
    ("scopes", "elsewhere", "status"),
    [
        (["report"], False, 403),  # a resident app's key
        (["sign_in", "read", "act", "tokens"], False, 403),  # the staff console's key
        (["verify"], True, 404),  # a residents' key of another community
    ],
)
def test_only_a_verify_key_of_the_community_may_text_a_number_a_code(
    notify, scenario, peer, scopes, elsewhere, status
):
    """A number that is nobody of the roster (a resident's, on the scan-to-report page) is
    texted only for a key that may `verify` in that community: otherwise any reporting
    app's key could text anyone at will."""
    number = f"139{uuid.uuid4().int % 10**8:08d}"
    ask = {"community_id": scenario.community, "phone": number, "code": "246810"}

    def send(key: str) -> requests.Response:
        return requests.post(
            f"{notify.url()}/v1/verification-codes", json=ask, headers={"X-Api-Key": key},
            timeout=10,
        )  # fmt: skip

    refused = send(notify.issue_key(scopes, ["elsewhere" if elsewhere else scenario.community]))
    assert refused.status_code == status, refused.text
    granted = send(notify.issue_key(["verify"], [scenario.community]))
    assert granted.status_code == 202, granted.text
    assert "246810" in wait_until("the code's SMS", lambda: texts_to(peer, number))[0]
    codes = {"kind": "verification_code", "contact.address": number}
    assert notify.db["deliveries"].count_documents(codes) == 1
    assert "246810" not in str(notify.db["deliveries"].find_one(codes))
    assert granted.json()["address"] != number  # masked in the API


def test_a_number_texted_five_codes_this_hour_is_told_429(notify, scenario, peer):
    number = f"137{uuid.uuid4().int % 10**8:08d}"
    key = notify.issue_key(["verify"], [scenario.community])
    ask = {"community_id": scenario.community, "phone": number, "code": "112233"}
    answers = [
        requests.post(f"{notify.url()}/v1/verification-codes", json=ask,
                      headers={"X-Api-Key": key}, timeout=10).status_code
        for _ in range(6)
    ]  # fmt: skip
    assert answers == [202] * 5 + [429]
    wait_until("five texts", lambda: len(texts_to(peer, number)) == 5)
    assert notify.db["deliveries"].count_documents({"contact.address": number}) == 5
