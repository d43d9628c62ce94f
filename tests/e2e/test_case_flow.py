"""One case end to end across the four services. What the cases API refuses, and each of
its actions, is in test_cases_api.py."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import (
    community,
    ensure_community,
    get_case,
    helper_headers,
    report_body,
    report_case,
    stats,
    wait_for_state,
    wait_until,
    webhooks_for,
)

pytestmark = pytest.mark.e2e


def volunteer_app(keys, person_id: str, place: str) -> dict[str, str]:
    """What a volunteer's app sends: an integration key of scope act and the volunteer's
    person token (who acts is never in the body)."""
    key = keys.issue(["act", "read"], [place], name="volunteer-app")
    return {
        "X-Api-Key": key,
        "X-Lianxin-Person": keys.person_token(person_id, "volunteer", [place]),
    }


def test_a_case_goes_from_report_to_dispatch_to_resolution_to_the_statistics(stack, sink, db, keys):
    place = community()
    case = report_case(stack, place)
    assert case["state"] == "triaged"
    assert (case["category"], case["team"]) == ("facility.lighting", "repair_crew")
    assert case["reporter"] == {"name": "李**", "phone": "138****5678", "email": None}

    case = wait_for_state(stack, case["id"], "dispatched")
    assert case["assignee"].startswith("p-repair-")
    hook = wait_until("the dispatch webhook", lambda: webhooks_for(sink, case["id"]))[0]
    assert hook["verified"], "the webhook signature must verify with the shared secret"
    assert hook["body"]["kind"] == "case.dispatched"
    assert case["number"] in hook["body"]["text"]  # the readable number people quote
    assert "13812345678" not in str(hook) and "李大爷" not in str(hook)

    cases_url = f"{stack.url('cases')}/v1/cases/{case['id']}"
    volunteer = volunteer_app(keys, case["assignee"], place)  # the person is in the token
    accepted = requests.post(f"{cases_url}/accept", json={}, headers=volunteer, timeout=5)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    resolved = requests.post(
        f"{cases_url}/resolve",
        timeout=5,
        headers=volunteer,
        json={"resolution": "换了灯泡", "volunteer_hours": 1.5},
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
        "escalated": 0,
        "notified": 1,
        "notification_failures": 0,
    }  # each step counted once; metrics counts more measures than these

    def counted() -> dict[str, int]:
        totals = stats(stack, place)
        return {measure: totals.get(measure, 0) for measure in expected}

    wait_until("the statistics", lambda: counted() == expected)
    credits = wait_until(  # roster credits the volunteer, once, by its own rules
        "the volunteer hours",
        lambda: list(db("roster")["hours"].find({"case_id": case["id"], "kind": "credit"})),
    )
    assert [line["person_id"] for line in credits] == [case["assignee"]]
    ledger = requests.get(
        f"{stack.url('roster')}/v1/people/{case['assignee']}/hours",
        headers=helper_headers(stack),
        timeout=5,
    )
    assert ledger.status_code == 200
    assert case["id"] in [entry["case_id"] for entry in ledger.json()["entries"]]
    wanted = {f'community="{place}"', 'measure="resolved"'}

    def in_the_gauges() -> bool:
        url = f"http://127.0.0.1:{stack.metrics_port('metrics')}/metrics"
        scrape = requests.get(url, timeout=5)
        for line in scrape.text.splitlines():
            name, _, rest = line.partition("{")
            labels, _, value = rest.partition("} ")
            if name == "lianxin_cases_total" and wanted <= set(labels.split(",")):
                return value == "1.0"
        return False

    # the gauges cache the stored totals for a few seconds
    wait_until("the resolved case in the Prometheus gauges", in_the_gauges)


def test_a_case_with_nobody_on_duty_is_escalated_and_the_grid_is_told(stack, sink):
    case = report_case(stack, community(), location={"grid_id": "jingxiang-g9"})  # no rota
    case = wait_for_state(stack, case["id"], "escalated")
    assert "no rota" in case["timeline"][-1]["note"]
    hook = wait_until("the escalation webhook", lambda: webhooks_for(sink, case["id"]))[0]
    assert hook["body"]["kind"] == "case.escalated"


def test_an_intake_retried_with_the_same_key_returns_the_same_case(stack, db):
    place = community()
    ensure_community(stack, place)
    key = f"hotline-{uuid.uuid4()}"
    url = f"{stack.url('cases')}/v1/cases"
    body = report_body(place)
    headers = {**helper_headers(stack), "Idempotency-Key": key}

    def post():
        return requests.post(url, json=body, headers=headers, timeout=10)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: post(), range(8)))
    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert db("cases")["cases"].count_documents({"community_id": place}) == 1

    changed = requests.post(
        url, json={**body, "description": "something else"}, headers=headers, timeout=5
    )
    assert changed.status_code == 422
    wait_until("the statistics", lambda: stats(stack, place)["dispatched"] == 1)
    assert stats(stack, place)["reported"] == 1


def test_concurrent_accepts_on_one_case_apply_exactly_once(stack, keys):
    place = community()
    case = wait_for_state(stack, report_case(stack, place)["id"], "dispatched")
    url = f"{stack.url('cases')}/v1/cases/{case['id']}/accept"
    volunteer = volunteer_app(keys, case["assignee"], place)

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(
            pool.map(
                lambda _: requests.post(url, json={}, headers=volunteer, timeout=30).status_code,
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
