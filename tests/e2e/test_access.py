"""Access control on the running services: the first key from the CLI, keys from the
admin API replicated to every service, revocation, and what a key without a scope gets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from lianxin.access.store import CACHE_SECONDS
from tests.e2e.conftest import (
    admin_cli,
    client,
    community,
    ensure_people,
    key_holders,
    person_changed,
    wait_until,
)

pytestmark = pytest.mark.e2e


def test_the_admin_key_from_the_cli_manages_keys_and_nothing_is_ever_shown_twice(
    stack, admin_key, keys, db
):
    admin = client(admin_key)
    issued = admin.post(
        f"{stack.url('cases')}/v1/keys",
        json={"name": "hotline-12345", "scopes": ["report", "read"], "communities": ["jingxiang"]},
        timeout=10,
    )
    assert issued.status_code == 201
    key = issued.json()
    assert key["key"].startswith(f"lx_{key['id']}_")
    keys.wait_replicated(key["id"])
    listed = admin.get(f"{stack.url('cases')}/v1/keys", timeout=10).json()["keys"]
    mine = next(entry for entry in listed if entry["id"] == key["id"])
    assert "key" not in mine and "secret_sha256" not in mine
    secret = key["key"].split("_", 2)[2]
    for service in key_holders():
        stored = db(service)["api_keys"].find_one({"_id": key["id"]})
        assert stored["scopes"] == ["read", "report"] and secret not in str(stored)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-Api-Key": "lx_nope_nope"}, 401),
        ({"X-Api-Key": "not a key"}, 401),
        ({"Authorization": "Bearer something"}, 401),
    ],
    ids=["none", "unknown", "malformed", "wrong-scheme"],
)
def test_no_valid_key_is_a_401_that_says_how_to_authenticate(stack, headers, status):
    answer = requests.get(f"{stack.url('cases')}/v1/keys", headers=headers, timeout=10)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert "X-Api-Key" in answer.headers["WWW-Authenticate"]


def test_a_key_without_the_scope_is_a_403_and_a_revoked_key_a_401(stack, keys):
    reader = keys.issue(["read"], ["jingxiang"])
    refused = client(reader).get(f"{stack.url('cases')}/v1/keys", timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    keys.revoke(reader)  # in every service's store; each refuses it once its cache lapses
    wait_until(
        "the revoked key to be refused",
        lambda: client(reader).get(f"{stack.url('cases')}/v1/keys", timeout=10).status_code == 401,
        timeout=CACHE_SECONDS + 3,
    )


def test_a_person_token_names_who_acts_and_a_forged_one_is_refused(stack, keys, admin_key):
    token = keys.person_token("p-repair-1", "volunteer", ["jingxiang"])
    assert token.count(".") == 2  # payload.timestamp.signature
    answer = client(admin_key, token[:-2] + "xx").get(f"{stack.url('cases')}/v1/keys", timeout=10)
    assert answer.status_code == 401


def test_the_cli_lists_and_revokes_keys(stack, keys):
    key = keys.issue(["read"], ["jingxiang"], name="cli-check")
    key_id = key.split("_")[1]
    listed = admin_cli(stack, "keys", "list")
    assert listed.returncode == 0 and key_id in listed.stdout
    assert key.split("_", 2)[2] not in listed.stdout
    revoked = admin_cli(stack, "keys", "revoke", key_id)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout


# A key or token grants and sees only what it holds


def probes(community: str) -> dict[str, str]:
    """A cheap authenticated read per service, within `community`."""
    return {
        "cases": "/v1/categories",
        "roster": f"/v1/areas?community_id={community}&kind=community",
        "notify": "/v1/deliveries?case_id=LX-0",
        "metrics": f"/v1/stats/summary?community_id={community}",
    }


def test_a_community_admin_cannot_mint_a_key_beyond_its_community(stack, keys):
    place = community("adm")
    local_admin = keys.issue(["admin"], [place], name="local-admin")
    for communities in (["*"], ["jingxiang"], [place, "jingxiang"]):
        minted = client(local_admin).post(
            f"{stack.url('cases')}/v1/keys",
            json={"name": "escalated", "scopes": ["admin"], "communities": communities},
            timeout=10,
        )
        assert minted.status_code == 403, communities
    bound = client(local_admin).post(
        f"{stack.url('cases')}/v1/keys",
        json={"name": "hotline", "scopes": ["report"], "communities": [place],
              "hotline_id": "changsha-12345"},
        timeout=10,
    )  # fmt: skip
    assert bound.status_code == 403  # a hotline serves the city: not a community's to bind
    own = client(local_admin).post(
        f"{stack.url('cases')}/v1/keys",
        json={"name": "own-app", "scopes": ["report"], "communities": [place]},
        timeout=10,
    )
    assert own.status_code == 201 and own.json()["communities"] == [place]
    listed = client(keys.admin).get(f"{stack.url('cases')}/v1/keys", timeout=10).json()["keys"]
    assert "escalated" not in {key["name"] for key in listed}


def test_a_community_admin_lists_and_revokes_its_own_keys_only(stack, keys):
    place = community("adm")
    local_admin = keys.issue(["admin"], [place], name="local-admin")
    mine = keys.issue(["read"], [place], name="mine")
    theirs = keys.issue(["read"], ["jingxiang"], name="theirs")
    listed = client(local_admin).get(f"{stack.url('cases')}/v1/keys", timeout=10).json()["keys"]
    ids = {key["id"] for key in listed}
    assert mine.split("_")[1] in ids and theirs.split("_")[1] not in ids
    assert all(key["communities"] == [place] for key in listed)
    theirs_id = theirs.split("_")[1]
    refused = client(local_admin).post(
        f"{stack.url('cases')}/v1/keys/{theirs_id}/revoke", timeout=10
    )
    assert refused.status_code == 404
    assert client(theirs).get(f"{stack.url('cases')}/v1/categories", timeout=10).status_code == 200
    revoked = client(local_admin).post(
        f"{stack.url('cases')}/v1/keys/{mine.split('_')[1]}/revoke", timeout=10
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]


def test_person_tokens_need_the_tokens_scope_and_a_person_the_key_sees(stack, keys, db):
    place = community("tok")
    ensure_people(stack, db, [person_changed(f"{place}-v1", place, ["volunteer"])])
    body = {"person_id": f"{place}-v1", "role": "volunteer", "communities": [place]}
    actor = keys.issue(["act", "read"], [place], name="app-without-tokens")
    refused = client(actor).post(f"{stack.url('cases')}/v1/person-tokens", json=body, timeout=10)
    assert refused.status_code == 403
    backend = keys.issue(["tokens"], [place], name="app-backend")
    issued = client(backend).post(f"{stack.url('cases')}/v1/person-tokens", json=body, timeout=10)
    assert issued.status_code == 201
    for wrong in (
        {**body, "person_id": "p-repair-1"},  # a person of jingxiang
        {**body, "role": "staff"},  # a role she does not hold
        {**body, "person_id": f"{place}-nobody"},
    ):
        answer = client(backend).post(
            f"{stack.url('cases')}/v1/person-tokens", json=wrong, timeout=10
        )
        assert answer.status_code == 400 and "person_id" in answer.json()["error"]["fields"]
    wider = client(backend).post(
        f"{stack.url('cases')}/v1/person-tokens", json={**body, "communities": ["*"]}, timeout=10
    )
    assert wider.status_code == 403


def answers(stack, key: str, token: str | None, place: str) -> set[int]:
    """The status every service answers a read with this key and person token."""
    return {
        client(key, token).get(f"{stack.url(service)}{path}", timeout=10).status_code
        for service, path in probes(place).items()
    }


@pytest.mark.parametrize("change", ["deactivated", "role-changed"])
def test_deactivating_a_person_or_changing_their_role_voids_their_tokens_everywhere(
    stack, keys, db, change
):
    """A person token once lived its 12 hours whatever happened to the person."""
    place = community("rev")
    person = f"{place}-staff-1"
    ensure_people(stack, db, [person_changed(person, place, ["staff"])])
    reader = keys.issue(["read"], [place], name="reader")
    token = keys.person_token(person, "staff", [place])
    assert answers(stack, reader, token, place) == {200}
    later = datetime.now(UTC).isoformat()
    moved = (
        person_changed(person, place, ["staff"], active=False, version=2, access_since=later)
        if change == "deactivated"
        else person_changed(person, place, ["volunteer"], version=2, access_since=later)
    )
    ensure_people(stack, db, [moved])
    wait_until(
        "every service to refuse the token",
        lambda: answers(stack, reader, token, place) == {401},
        timeout=CACHE_SECONDS + 5,
    )


def test_a_token_issued_before_a_reactivation_stays_void_and_a_new_one_works(
    stack, keys, db
):
    place = community("rev")
    person = f"{place}-v1"
    ensure_people(stack, db, [person_changed(person, place, ["volunteer"])])
    reader = keys.issue(["read"], [place], name="reader")
    old = keys.person_token(person, "volunteer", [place])
    left = datetime.now(UTC).isoformat()
    ensure_people(
        stack,
        db,
        [person_changed(person, place, ["volunteer"], active=False, version=2, access_since=left)],
    )
    back = datetime.now(UTC).isoformat()
    ensure_people(
        stack,
        db,
        [person_changed(person, place, ["volunteer"], version=3, access_since=back)],
    )
    wait_until(
        "the old token to be refused",
        lambda: answers(stack, reader, old, place) == {401},
        timeout=CACHE_SECONDS + 5,
    )
    fresh = keys.person_token(person, "volunteer", [place])
    wait_until("the new token to pass", lambda: answers(stack, reader, fresh, place) == {200})


def test_a_person_bound_key_falls_with_its_persons_deactivation(stack, keys, db):
    place = community("rev")
    person = f"{place}-staff-1"
    ensure_people(stack, db, [person_changed(person, place, ["staff"])])
    bound = keys.issue(["read"], [place], person_id=person, role="staff", name="staff-app")
    assert answers(stack, bound, None, place) == {200}
    gone = datetime.now(UTC).isoformat()
    ensure_people(
        stack,
        db,
        [person_changed(person, place, ["staff"], active=False, version=2, access_since=gone)],
    )
    wait_until(
        "the person-bound key to be refused",
        lambda: answers(stack, bound, None, place) == {401},
        timeout=CACHE_SECONDS + 5,
    )
