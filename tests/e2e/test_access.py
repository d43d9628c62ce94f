"""Access control on the running services: the first key from the CLI, keys from the
admin API replicated to every service, revocation, and what a key without a scope gets."""

from __future__ import annotations

import pytest
import requests

from lianxin.auth import CACHE_SECONDS
from scripts.stack import SERVICES
from tests.e2e.conftest import admin_cli, client, wait_until

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
    for service in SERVICES:
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
