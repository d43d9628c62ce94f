"""The household register's use cases on the in-memory twin: import once, find a household
by its id or by a number a resident proved, and the community boundary."""

from __future__ import annotations

import pytest

from lianxin.access.actors import Forbidden
from services.estate.app import register
from services.estate.domain.households import COLUMNS, rows_from_csv
from tests.estate.conftest import SAMPLE, staff, volunteer

HEADER = ",".join(COLUMNS) + "\n"


def rows(text: str):
    return rows_from_csv("households.csv", HEADER + text)


def test_the_sample_register_imports_once_and_again_changes_nothing(parts, sample):
    assert len(sample.plan.households) == 493 and sample.changed == 493
    text = SAMPLE.read_text(encoding="utf-8")
    again = register.import_register(
        parts.store, rows_from_csv("households.csv", text), parts.digest, None, dry_run=False
    )
    assert again.applied and again.changed == 0


def test_a_resident_who_proved_a_number_finds_their_household_and_nobody_elses(parts, sample):
    # 13807310357 is the sample volunteer 李晓燕's, of household jingxiang-b11-u3-202
    found = register.households_by_phone(parts.store, "jingxiang", "138 0731 0357", parts.digest)
    assert [h.household_id for h in found] == ["jingxiang-b11-u3-202"]
    assert register.households_by_phone(parts.store, "jingxiang", "13800000000", parts.digest) == []
    assert register.households_by_phone(parts.store, "other", "13807310357", parts.digest) == []
    assert register.households_by_phone(parts.store, "jingxiang", "0731-888", parts.digest) == []


def test_a_number_taken_off_a_household_finds_it_no_more(parts):
    first = rows("h1,c1,e1,b1,u1,101,80,13807310001;13807310002\n")
    register.import_register(parts.store, first, parts.digest, None, dry_run=False)
    moved = rows("h1,c1,e1,b1,u1,101,80,13807310002\nh2,c1,e1,b1,u1,102,80,13807310001\n")
    register.import_register(parts.store, moved, parts.digest, None, dry_run=False)
    by = register.households_by_phone
    assert [h.household_id for h in by(parts.store, "c1", "13807310001", parts.digest)] == ["h2"]
    assert [h.household_id for h in by(parts.store, "c1", "13807310002", parts.digest)] == ["h1"]


def test_a_dry_run_or_a_rejected_row_stores_nothing(parts):
    good, bad = "h1,c1,e1,b1,u1,101,80,\n", "h2,c1,e1,b1,u1,102,eighty,\n"
    rejected = register.import_register(
        parts.store, rows(good + bad), parts.digest, None, dry_run=False
    )
    dry = register.import_register(parts.store, rows(good), parts.digest, None, dry_run=True)
    assert not rejected.applied and not dry.applied and dry.plan.ok
    with pytest.raises(register.HouseholdNotFound):
        register.find_household(parts.store, "c1", "h1")


def test_staff_read_their_register_other_communities_are_not_found_volunteers_forbidden(
    parts, sample
):
    assert len(register.register(parts.store, "jingxiang", None, staff())) == 200
    one = register.household_of(parts.store, "jingxiang", "jingxiang-b11-u3-202", staff())
    assert one.unit == "jingxiang-b11-u3"
    with pytest.raises(register.HouseholdNotFound):
        register.household_of(parts.store, "jingxiang", "jingxiang-b11-u3-202", staff("other"))
    with pytest.raises(Forbidden):
        register.register(parts.store, "jingxiang", None, volunteer())
    with pytest.raises(Forbidden):
        register.staff_communities(volunteer(), changing=True)
