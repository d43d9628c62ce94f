"""The household register's rules in plain Python: exact floor areas, numbers kept as
digests and masked, every bad row named with why, and nothing half imported."""

from __future__ import annotations

import pytest

from services.estate.domain.households import (
    COLUMNS,
    ImportFileError,
    centi_m2,
    plan_import,
    rows_from_csv,
)

HEADER = ",".join(COLUMNS) + "\n"


def digest(number: str) -> str:
    return f"d({number})"


def plan(text: str, may_import=lambda community: True):
    return plan_import(rows_from_csv("households.csv", HEADER + text), may_import, digest)


@pytest.mark.parametrize(
    ("text", "centi"), [("89.5", 8950), ("89.50", 8950), ("120", 12000), (" 45.01 ", 4501)]
)
def test_a_floor_area_is_exact_hundredths_of_a_square_metre(text, centi):
    assert centi_m2(text) == centi


@pytest.mark.parametrize("text", ["89.505", "abc", "0.5", "10000.01", "nan", "inf", "-80", ""])
def test_a_floor_area_that_is_no_area_is_refused(text):
    with pytest.raises(ValueError):
        centi_m2(text)


def test_a_households_numbers_are_kept_as_digests_and_masked_never_in_clear():
    numbers = "138 0731 0357;+8613807310358;13807310357"
    (household,) = plan(f"h1,c1,e1,b1,u1,101,80,{numbers}\n").households
    assert household.phone_digests == ("d(13807310357)", "d(13807310358)")
    assert household.phones_masked == ("138****0357", "138****0358")
    assert household.floor_area_centi_m2 == 8000


def test_every_bad_row_is_named_with_why_and_nothing_is_planned_without_its_number():
    found = plan(
        "h1,c1,e1,b1,u1,101,80,13807310357\n"
        "h2,c1,e1,b1,u1,102,80.123,13807310358\n"
        "h3,c1,e1,b1,u1,103,80,0731-8888\n"
        "h1,c1,e1,b1,u1,101,81,13807310357\n"
        "H 4,c1,e1,b1,u1,104,80,\n"
        "h5,c1,e1,b1,u1,105,80,1;2;3,extra\n"
    )
    assert not found.ok
    reasons = {(r.source, r.household_id): r.reasons for r in found.rejected}
    assert set(reasons) == {
        ("households.csv:3", "h2"),
        ("households.csv:4", "h3"),
        ("households.csv:5", "h1"),
        ("households.csv:6", "H 4"),
        ("households.csv:7", "h5"),
    }
    assert reasons[("households.csv:3", "h2")][0].startswith("floor_area:")
    assert reasons[("households.csv:4", "h3")][0].startswith("phones:")
    assert reasons[("households.csv:5", "h1")] == ("household_id: twice",)
    assert "8888" not in str(reasons)


def test_a_row_of_a_community_the_importer_may_not_change_is_rejected():
    found = plan("h1,c2,e1,b1,u1,101,80,\n", may_import=lambda community: community == "c1")
    assert [r.reasons for r in found.rejected] == [("community: c2 is not yours to import into",)]


def test_a_file_that_is_no_register_is_refused_whole():
    with pytest.raises(ImportFileError):
        rows_from_csv("people.csv", HEADER)
    with pytest.raises(ImportFileError):
        rows_from_csv("households.csv", "household_id,name\nh1,张三\n")
