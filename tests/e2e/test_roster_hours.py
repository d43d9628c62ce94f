"""The hours ledger's API end to end: households per community, staff decisions and
corrections bound to who asks, and each change told once.

Each test imports small communities of its own (test_roster_dispatch.small_community)
into the running stack and acts through keys of those communities.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.e2e.conftest import client, wait_until
from tests.e2e.test_roster_dispatch import (
    case_event,
    import_community,
    new_code,
    past_morning,
    publish,
    small_community,
)

pytestmark = pytest.mark.e2e


def two_communities_sharing_a_household_id(stack, admin_key) -> tuple[str, str, str]:
    """Communities A and B whose first volunteers both give household `<A>-h1`: household
    ids are written by each community's staff, so two may well be spelt alike."""
    first, second = new_code("rha"), new_code("rhb")
    household = f"{first}-h1"
    other = small_community(second)
    for person in other["people"]:
        if person["id"] == f"{second}-v1":
            person["household"] = household
    for document in (small_community(first), other):
        imported = import_community(stack, admin_key, document)
        assert imported.status_code == 200, imported.text
    return first, second, household


def correct(stack, key: str, person_id: str, hours: float, idempotency_key: str):
    return client(key).post(
        f"{stack.url('roster')}/v1/people/{person_id}/hours/corrections",
        json={"hours": hours, "reason": "补录"},
        headers={"Idempotency-Key": idempotency_key},
        timeout=5,
    )


def test_a_household_ledger_is_one_communitys_and_another_communitys_key_cannot_read_it(
    stack, admin_key, keys
):
    first, second, household = two_communities_sharing_a_household_id(stack, admin_key)
    assert correct(stack, admin_key, f"{first}-v1", 1.5, "a").status_code == 201
    assert correct(stack, admin_key, f"{second}-v1", 2.0, "b").status_code == 201

    mine = client(keys.issue(["read"], [first]))
    url = f"{stack.url('roster')}/v1/households/{household}/hours"
    found = mine.get(url, params={"community_id": first}, timeout=5)
    assert found.status_code == 200, found.text
    assert (found.json()["balance_minutes"], found.json()["total"]) == (90, 1.5)
    assert [e["person_id"] for e in found.json()["entries"]] == [f"{first}-v1"]

    theirs = mine.get(url, params={"community_id": second}, timeout=5)
    assert theirs.status_code == 404
    unnamed = mine.get(url, timeout=5)
    assert unnamed.status_code == 400 and "community_id" in unnamed.json()["error"]["fields"]
    both = client(admin_key).get(url, params={"community_id": second}, timeout=5).json()
    assert (both["community_id"], both["balance_minutes"]) == (second, 120)


def test_a_correction_names_its_request_and_a_retry_makes_the_same_entry(stack, admin_key, keys):
    place = new_code("rhc")
    assert import_community(stack, admin_key, small_community(place)).status_code == 200
    staff = client(
        keys.issue(["act", "read"], [place]),
        keys.person_token(f"{place}-staff", "staff", [place]),
    )
    url = f"{stack.url('roster')}/v1/people/{place}-v1/hours/corrections"
    unnamed = staff.post(url, json={"hours": 1.0, "reason": "补录"}, timeout=5)
    assert unnamed.status_code == 400
    assert "Idempotency-Key" in unnamed.json()["error"]["fields"]

    first = staff.post(
        url, json={"hours": 1.0, "reason": "补录"}, headers={"Idempotency-Key": "r-1"}, timeout=5
    )
    retry = staff.post(
        url, json={"hours": 1.0, "reason": "补录"}, headers={"Idempotency-Key": "r-1"}, timeout=5
    )
    assert first.status_code == retry.status_code == 201
    assert retry.json()["entry_id"] == first.json()["entry_id"]
    other = staff.post(
        url, json={"hours": 2.0, "reason": "补录"}, headers={"Idempotency-Key": "r-1"}, timeout=5
    )
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    another_key = client(keys.issue(["admin"], [place]))  # Idempotency-Keys are per API key
    theirs = another_key.post(
        url, json={"hours": 0.5, "reason": "补录"}, headers={"Idempotency-Key": "r-1"}, timeout=5
    )
    assert theirs.status_code == 201 and theirs.json()["entry_id"] != first.json()["entry_id"]
    ledger = staff.get(f"{stack.url('roster')}/v1/people/{place}-v1/hours", timeout=5).json()
    assert (len(ledger["entries"]), ledger["balance_minutes"]) == (2, 90)


def test_nobody_approves_or_corrects_their_own_hours_and_an_approval_never_exceeds_the_credit(
    stack, amqp_uri, admin_key, keys
):
    place = new_code("rhs")
    community = small_community(place, hours={"approval_above": "15m"})
    assert import_community(stack, admin_key, community).status_code == 200
    staff_id = f"{place}-staff"
    staff = client(
        keys.issue(["act", "read"], [place]), keys.person_token(staff_id, "staff", [place])
    )
    roster = stack.url("roster")
    own = staff.post(
        f"{roster}/v1/people/{staff_id}/hours/corrections",
        json={"hours": 8.0, "reason": "加班"},
        headers={"Idempotency-Key": "mine"},
        timeout=5,
    )
    assert own.status_code == 403, own.text

    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    morning = past_morning(hours=1)
    resolved = case_event(
        "case.resolved", case_id, place, 4, person_id=staff_id, resolution="修好了",
        accepted_at=morning.isoformat(), resolved_at=(morning + timedelta(hours=1)).isoformat(),
        on_time=True, first_time=True,
    )  # fmt: skip
    publish(amqp_uri, resolved)
    ledger_url = f"{roster}/v1/people/{staff_id}/hours"
    (pending,) = wait_until(
        "the pending credit", lambda: staff.get(ledger_url, timeout=5).json()["entries"]
    )
    assert (pending["state"], pending["minutes"]) == ("pending_approval", 90)
    approve = f"{roster}/v1/hours/{pending['entry_id']}/approve"
    assert staff.post(approve, json={}, timeout=5).status_code == 403
    more = client(admin_key).post(approve, json={"hours": 2.0}, timeout=5)
    assert more.status_code == 400 and "hours" in more.json()["error"]["fields"]
    assert staff.get(ledger_url, timeout=5).json()["pending_minutes"] == 90  # nothing decided
    granted = client(admin_key).post(approve, json={"hours": 1.5}, timeout=5)
    assert granted.status_code == 200 and granted.json()["minutes"] == 90
