"""Access control across the services: no key is a 401 on every route that needs
one, and a key of one community neither sees nor touches another community's data —
it is told "not found" (404), never "forbidden", so it cannot probe for ids. Each
check is paired with the same request by a key that may see it (200), so a 404 here
is isolation, not a broken route. (The console takes no key: its pages need a session,
tests/e2e/console/.)"""

from __future__ import annotations

import pytest
import requests

from tests.e2e.cases_support import People
from tests.e2e.conftest import community, key_holders, wait_until, webhooks_for

pytestmark = pytest.mark.e2e

OPEN = {"/healthz", "/livez", "/v1/openapi.json"}


@pytest.fixture(scope="module")
def ours(stack, keys) -> People:
    return People(stack, keys, community("iso"))


@pytest.fixture(scope="module")
def theirs(stack, keys) -> People:
    return People(stack, keys, community("iso"))


@pytest.fixture(scope="module")
def their_case(theirs, sink) -> dict:
    """A case of their community, dispatched (roster), notified (notify) and resolved."""
    case, volunteer = theirs.taken(theirs.report()["id"])
    assert theirs.post(case["id"], "accept", volunteer).status_code == 200
    resolved = theirs.post(
        case["id"], "resolve", volunteer, {"resolution": "修好了", "volunteer_hours": 1}
    )
    assert resolved.status_code == 200
    return resolved.json()


@pytest.mark.parametrize("service", key_holders())
def test_every_route_that_needs_a_key_refuses_none(stack, service):
    document = requests.get(f"{stack.url(service)}/v1/openapi.json", timeout=5).json()
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path in OPEN or {} in operation.get("security", [{}]):
                continue  # open, or public: it answers without a key too
            concrete = path
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path":
                    concrete = concrete.replace(f"{{{parameter['name']}}}", "x1")
            answer = requests.request(method.upper(), f"{stack.url(service)}{concrete}", timeout=10)
            assert answer.status_code == 401, (
                f"{service} {method.upper()} {path}: {answer.status_code}"
            )
            checked += 1
    assert checked > 0


def pair(url: str, allowed: dict, refused: dict, **params) -> None:
    """The same request: 200 for the key that may see it, 404 for the one that may not."""
    seen = requests.get(url, headers=allowed, params=params, timeout=10)
    hidden = requests.get(url, headers=refused, params=params, timeout=10)
    assert seen.status_code == 200, f"{url}: {seen.status_code} {seen.text[:200]}"
    assert hidden.status_code == 404, f"{url}: {hidden.status_code} {hidden.text[:200]}"


def test_cases_shows_and_lets_act_on_a_case_only_in_the_keys_community(
    stack, ours, theirs, their_case
):
    cases = stack.url("cases")
    for reference in (their_case["id"], their_case["number"]):
        pair(f"{cases}/v1/cases/{reference}", theirs.hotline, ours.hotline)
    pair(f"{cases}/v1/areas/{theirs.place}", theirs.hotline, ours.hotline)
    pair(f"{cases}/open311/v2/requests/{their_case['number']}.json", theirs.hotline, ours.hotline)
    listed = requests.get(
        f"{cases}/v1/cases", params={"community_id": theirs.place}, headers=ours.hotline, timeout=10
    )
    assert listed.status_code == 200 and listed.json()["cases"] == []
    for action, body in (("verify", {}), ("reopen", {"reason": "x"}), ("rate", {"rating": 1})):
        headers = ours.hotline if action == "rate" else ours.staff
        assert ours.post(their_case["id"], action, headers, body).status_code == 404, action
    assert theirs.post(their_case["id"], "verify", theirs.staff).status_code == 200


def test_roster_shows_a_cases_dispatch_only_in_the_keys_community(stack, ours, theirs, their_case):
    roster = stack.url("roster")
    pair(f"{roster}/v1/dispatches/{their_case['id']}", theirs.hotline, ours.hotline)


def test_notify_shows_a_delivery_only_in_the_keys_community(stack, ours, theirs, their_case, sink):
    hooks = wait_until("the dispatch webhook", lambda: webhooks_for(sink, their_case["id"]))
    pair(
        f"{stack.url('notify')}/v1/deliveries/{hooks[0]['delivery_id']}",
        theirs.hotline,
        ours.hotline,
    )


def test_estate_shows_a_household_only_in_the_keys_community(stack, ours, theirs, keys):
    """A household of their register: their key reads it, ours is told it is not there."""
    register = "household_id,community,estate,building,unit,room,floor_area,phones\n"
    register += f"h-1,{theirs.place},e1,b1,u1,101,88.25,13807319990\n"
    imported = requests.post(
        f"{stack.url('estate')}/v1/households/imports",
        json={"name": "households.csv", "text": register},
        headers={"X-Api-Key": keys.admin},
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    estate = stack.url("estate")
    pair(f"{estate}/v1/households/{theirs.place}/h-1", theirs.hotline, ours.hotline)
    pair(f"{estate}/v1/households", theirs.hotline, ours.hotline, community_id=theirs.place)


def test_metrics_shows_a_communitys_statistics_only_to_its_keys(stack, ours, theirs, their_case):
    metrics = stack.url("metrics")
    wait_until(
        "their case to be counted",
        lambda: (
            requests.get(
                f"{metrics}/v1/stats/summary",
                params={"community_id": theirs.place},
                headers=theirs.hotline,
                timeout=10,
            ).status_code
            == 200
        ),
    )
    for path in ("summary", "trend", "hotline", "evaluation"):
        pair(f"{metrics}/v1/stats/{path}", theirs.hotline, ours.hotline, community_id=theirs.place)
