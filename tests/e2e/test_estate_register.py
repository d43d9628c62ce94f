"""The estate service in the real stack: its household register round-trips (a staff
member imports a community's register, reads it back exact and masked), the sample
community's register is there as `make run` imports it, and nobody else gets in: another
community's staff and a volunteer's token are refused, bad rows store nothing."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.cases_support import People
from tests.e2e.conftest import community, helper_headers

pytestmark = pytest.mark.e2e

MOBILE = re.compile(r"1[3-9]\d{9}")
HEADER = "household_id,community,estate,building,unit,room,floor_area,phones\n"


@pytest.fixture(scope="module")
def ours(stack, keys) -> People:
    return People(stack, keys, community("est"))


@pytest.fixture(scope="module")
def theirs(stack, keys) -> People:
    return People(stack, keys, community("est"))


def register_csv(place: str, floor_area: str = "89.50") -> str:
    return HEADER + (
        f"h-101,{place},{place}-e1,{place}-b1,{place}-b1-u1,101,{floor_area},13807319901\n"
        f"h-102,{place},{place}-e1,{place}-b1,{place}-b1-u1,102,120,13807319902;+86 139 0731 9903\n"
    )


def import_register(stack, headers: dict, text: str, dry_run: bool = False):
    return requests.post(
        f"{stack.url('estate')}/v1/households/imports",
        params={"dry_run": str(dry_run).lower()},
        json={"name": "households.csv", "text": text},
        headers=headers,
        timeout=30,
    )


def household(stack, headers: dict, place: str, household_id: str):
    return requests.get(
        f"{stack.url('estate')}/v1/households/{place}/{household_id}", headers=headers, timeout=10
    )


def test_staff_import_their_register_and_read_it_back_exact_and_masked(stack, ours):
    imported = import_register(stack, ours.staff, register_csv(ours.place))
    assert imported.status_code == 200, imported.text
    assert imported.json() | {"rejected": []} == {
        "dry_run": False, "applied": True, "accepted": 2, "changed": 2, "rejected": [],
    }  # fmt: skip

    found = household(stack, ours.staff, ours.place, "h-102")
    assert found.status_code == 200, found.text
    shown = found.json()
    assert shown["floor_area_centi_m2"] == 12000
    assert shown["unit"] == f"{ours.place}-b1-u1"
    assert len(shown["phones"]) == 2
    assert not any(MOBILE.search(phone) for phone in shown["phones"]), shown["phones"]

    again = import_register(stack, ours.staff, register_csv(ours.place))
    assert again.json()["changed"] == 0  # the same file again changes nothing
    listed = requests.get(
        f"{stack.url('estate')}/v1/households",
        params={"community_id": ours.place},
        headers=ours.staff,
        timeout=10,
    ).json()
    assert [h["household_id"] for h in listed["households"]] == ["h-101", "h-102"]
    assert listed["households"][0]["floor_area_centi_m2"] == 8950
    assert listed["next_after"] is None


def test_the_sample_communitys_register_is_imported_in_pages(stack):
    first = requests.get(
        f"{stack.url('estate')}/v1/households",
        params={"community_id": "jingxiang"},
        headers=helper_headers(stack),
        timeout=10,
    ).json()
    assert len(first["households"]) == 200 and first["next_after"]
    areas = [h["floor_area_centi_m2"] for h in first["households"]]
    assert all(4500 <= area <= 14000 for area in areas)
    second = requests.get(
        f"{stack.url('estate')}/v1/households",
        params={"community_id": "jingxiang", "after": first["next_after"]},
        headers=helper_headers(stack),
        timeout=10,
    ).json()
    assert second["households"][0]["household_id"] > first["next_after"]


def test_another_communitys_staff_and_a_volunteer_get_nothing(stack, ours, theirs):
    assert import_register(stack, ours.staff, register_csv(ours.place)).status_code == 200
    assert household(stack, theirs.staff, ours.place, "h-101").status_code == 404
    listed = requests.get(
        f"{stack.url('estate')}/v1/households",
        params={"community_id": ours.place},
        headers=theirs.staff,
        timeout=10,
    )
    assert listed.status_code == 404
    # their staff cannot import into our community either: rejected row, nothing stored
    moved = import_register(stack, theirs.staff, register_csv(ours.place, floor_area="45"))
    assert moved.status_code == 422
    assert household(stack, ours.staff, ours.place, "h-101").json()["floor_area_centi_m2"] == 8950
    volunteer = ours.volunteer(ours.id("repair-1"))
    assert household(stack, volunteer, ours.place, "h-101").status_code == 403
    assert import_register(stack, volunteer, register_csv(ours.place)).status_code == 403


def test_bad_rows_are_rejected_with_their_reasons_and_store_nothing(stack, theirs):
    text = HEADER + (
        f"h-201,{theirs.place},e1,b1,u1,201,89.505,13807319904\n"
        f"h-202,{theirs.place},e1,b1,u1,202,80,12345\n"
        f"h-203,{theirs.place},e1,b1,u1,203,80,13807319905\n"
    )
    answer = import_register(stack, theirs.staff, text)
    assert answer.status_code == 422, answer.text
    rejected = {r["household_id"]: r["reasons"] for r in answer.json()["error"]["rejected"]}
    assert set(rejected) == {"h-201", "h-202"}
    assert "floor_area" in rejected["h-201"][0] and "phones" in rejected["h-202"][0]
    assert "12345" not in str(rejected)
    assert household(stack, theirs.staff, theirs.place, "h-203").status_code == 404
    unknown = import_register(stack, theirs.staff, "id,room\nx,1\n")
    assert unknown.status_code == 400
