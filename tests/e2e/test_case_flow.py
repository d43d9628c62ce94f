"""One case end to end across the four services, and what the API refuses."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import (
    community,
    get_case,
    report_body,
    report_case,
    stats,
    wait_for_state,
    wait_until,
    webhooks_for,
)

pytestmark = pytest.mark.e2e


def test_a_case_goes_from_report_to_dispatch_to_resolution_to_the_statistics(stack, sink, db):
    place = community()
    case = report_case(stack, place)
    assert case["state"] == "triaged"
    assert (case["category"], case["team"]) == ("facility.lighting", "repair_crew")
    assert case["reporter"] == {"name": "李**", "phone": "138****5678"}

    case = wait_for_state(stack, case["id"], "dispatched")
    assert case["assignee"].startswith("p-repair-")
    hook = wait_until("the dispatch webhook", lambda: webhooks_for(sink, case["id"]))[0]
    assert hook["verified"], "the webhook signature must verify with the shared secret"
    assert hook["body"]["kind"] == "case.dispatched"
    assert case["id"] in hook["body"]["text"]
    assert "13812345678" not in str(hook) and "李大爷" not in str(hook)

    cases_url = f"{stack.url('cases')}/v1/cases/{case['id']}"
    person = {"person_id": case["assignee"]}
    accepted = requests.post(f"{cases_url}/accept", json=person, timeout=5)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    resolved = requests.post(
        f"{cases_url}/resolve",
        timeout=5,
        json={**person, "resolution": "换了灯泡", "volunteer_hours": 1.5},
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert [step["state"] for step in resolved.json()["timeline"]] == [
        "reported",
        "triaged",
        "dispatched",
        "accepted",
        "resolved",
    ]

    expected = {
        "reported": 1,
        "triaged": 1,
        "dispatched": 1,
        "accepted": 1,
        "resolved": 1,
        "resolved_on_time": 1,
        "escalated": 0,
        "notified": 1,
        "notification_failures": 0,
    }
    wait_until("the statistics", lambda: stats(stack, place) == expected)
    hours = wait_until(
        "the volunteer hours", lambda: list(db("roster")["hours"].find({"case_id": case["id"]}))
    )
    assert [(line["person_id"], line["hours"]) for line in hours] == [(case["assignee"], 1.5)]
    ledger = requests.get(
        f"{stack.url('roster')}/v1/people/{case['assignee']}/hours", timeout=5
    ).json()
    assert {"case_id": case["id"], "hours": 1.5} in [
        {"case_id": entry["case_id"], "hours": entry["hours"]} for entry in ledger["entries"]
    ]
    assert ledger["total"] == sum(entry["hours"] for entry in ledger["entries"])
    sample = (
        f'lianxin_cases{{category="facility.lighting",community="{place}",measure="resolved"}} 1.0'
    )
    wait_until(  # the gauges cache the stored totals for a few seconds
        "the resolved case in the Prometheus gauges",
        lambda: (
            sample
            in requests.get(
                f"http://127.0.0.1:{stack.metrics_port('metrics')}/metrics", timeout=5
            ).text
        ),
    )


def test_a_case_with_nobody_on_duty_is_escalated_and_the_grid_is_told(stack, sink):
    case = report_case(stack, community(), location={"grid_id": "no-such-grid"})
    case = wait_for_state(stack, case["id"], "escalated")
    assert "no rota" in case["timeline"][-1]["note"]
    hook = wait_until("the escalation webhook", lambda: webhooks_for(sink, case["id"]))[0]
    assert hook["body"]["kind"] == "case.escalated"


MINIMAL = {"description": "d", "community_id": "x", "location": {"grid_id": "g"}}


def without(field: str) -> dict:
    return {key: value for key, value in MINIMAL.items() if key != field}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (without("description"), "description"),
        (without("community_id"), "community_id"),
        ({**MINIMAL, "location": {}}, "location"),
        ({**MINIMAL, "channel": "carrier-pigeon"}, "channel"),
        ({**MINIMAL, "category": "no.such"}, "category"),
        ({**MINIMAL, "severity": "high"}, "severity"),
        ({**MINIMAL, "reporter": {"phone": "call me"}}, "reporter"),
        ({**MINIMAL, "description": 42}, "description"),
    ],
)
def test_bad_intake_gets_400_with_field_errors_and_stores_nothing(stack, db, body, field):
    before = db("cases")["cases"].count_documents({})
    response = requests.post(f"{stack.url('cases')}/v1/cases", json=body, timeout=5)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in error["fields"]
    assert db("cases")["cases"].count_documents({}) == before


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b'{"description": "d", "$where": "1"}', 400),
        (b'{"description": "d", "location": {"a.b": 1}}', 400),
        (b"not json", 400),
        (b"", 400),
        (b"[1, 2]", 400),
        (b'{"description": "' + b"x" * 70_000 + b'"}', 413),
    ],
)
def test_malformed_bodies_are_refused_before_the_database(stack, db, raw, status):
    before = db("cases")["cases"].count_documents({})
    response = requests.post(
        f"{stack.url('cases')}/v1/cases",
        data=raw,
        timeout=5,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert db("cases")["cases"].count_documents({}) == before


def test_actions_that_do_not_fit_get_404_403_and_409(stack):
    cases_url = f"{stack.url('cases')}/v1/cases"
    missing = requests.get(f"{cases_url}/LX-0000000000000000", timeout=5)
    assert missing.status_code == 404
    assert requests.get(f"{cases_url}/not-an-id", timeout=5).status_code == 404

    case = wait_for_state(stack, report_case(stack, community())["id"], "dispatched")
    stranger = requests.post(
        f"{cases_url}/{case['id']}/accept", json={"person_id": "p-not-offered"}, timeout=5
    )
    assert stranger.status_code == 403
    early = requests.post(
        f"{cases_url}/{case['id']}/resolve",
        timeout=5,
        json={"person_id": case["assignee"], "resolution": "done"},
    )
    assert early.status_code == 409
    assert early.json()["error"]["state"] == "dispatched"
    assert get_case(stack, case["id"])["state"] == "dispatched"


def test_an_intake_retried_with_the_same_key_returns_the_same_case(stack, db):
    place = community()
    key = f"hotline-{uuid.uuid4()}"
    url = f"{stack.url('cases')}/v1/cases"
    body = report_body(place)

    def post():
        return requests.post(url, json=body, headers={"Idempotency-Key": key}, timeout=10)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: post(), range(8)))
    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert db("cases")["cases"].count_documents({"community_id": place}) == 1

    changed = requests.post(
        url,
        json={**body, "description": "something else"},
        headers={"Idempotency-Key": key},
        timeout=5,
    )
    assert changed.status_code == 422
    wait_until("the statistics", lambda: stats(stack, place)["dispatched"] == 1)
    assert stats(stack, place)["reported"] == 1


def test_concurrent_accepts_on_one_case_apply_exactly_once(stack):
    place = community()
    case = wait_for_state(stack, report_case(stack, place)["id"], "dispatched")
    url = f"{stack.url('cases')}/v1/cases/{case['id']}/accept"

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(
            pool.map(
                lambda _: (
                    requests.post(url, json={"person_id": case["assignee"]}, timeout=30).status_code
                ),
                range(12),
            )
        )
    assert sorted(statuses) == [200] + [409] * 11
    accepted = get_case(stack, case["id"])
    assert [step["action"] for step in accepted["timeline"]].count("accept") == 1
    wait_until("accepted to be counted", lambda: stats(stack, place)["accepted"] == 1)


def test_every_service_serves_its_metrics(stack):
    for service in ("cases", "roster", "notify", "metrics"):
        scrape = requests.get(
            f"http://127.0.0.1:{stack.metrics_port(service)}/metrics", timeout=5
        ).text
        assert "lianxin_handler_duration_seconds_bucket" in scrape, service
        assert "lianxin_outbox_backlog" in scrape, service
    cases_scrape = requests.get(
        f"http://127.0.0.1:{stack.metrics_port('cases')}/metrics", timeout=5
    ).text
    assert 'lianxin_http_requests_total{method="POST",route="/v1/cases",status="201"}' in (
        cases_scrape
    )
