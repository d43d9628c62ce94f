"""Who reads which hours (services.roster.app.views): a volunteer's token reads their own
ledger and their own household's, and nobody else's ("not found", as another
community's), nor the community's queue or export; staff and grid roles read their
community's, as before."""

from __future__ import annotations

import pytest

from lianxin.access.actors import Actor, Forbidden
from services.roster.app import hours, views
from tests.roster.app.case_events import staff
from tests.roster.conftest import FRIDAY_NOON_UTC

ME, NEIGHBOUR = "p-g1-red-1", "p-g1-red-2"
MY_HOUSEHOLD, THEIR_HOUSEHOLD = "jingxiang-b11-u3-202", "jingxiang-b02-u1-303"


def token(person_id: str, role: str) -> Actor:
    """A person's token through the console's key (read and act, every community)."""
    return Actor("k", "console", frozenset({"read", "act"}), frozenset({"jingxiang"}),
                 person_id=person_id, role=role)  # fmt: skip


@pytest.fixture
def credited(store, community):
    for person in (ME, NEIGHBOUR):
        hours.correct(store, person, 60, "巡逻补记", None, staff("p-staff-1"), FRIDAY_NOON_UTC,
                      f"k:{person}")  # fmt: skip
    return store


def test_a_volunteer_reads_their_own_ledger_and_household(credited):
    mine = token(ME, "volunteer")
    assert views.person_ledger(credited, ME, mine)["balance_minutes"] == 60
    found = views.household_ledger(credited, "jingxiang", MY_HOUSEHOLD, mine)
    assert found["balance_minutes"] == 60


def test_a_volunteer_reads_no_one_elses_ledger_or_household(credited):
    mine = token(ME, "volunteer")
    with pytest.raises(views.NotFound):
        views.person_ledger(credited, NEIGHBOUR, mine)
    with pytest.raises(views.NotFound):
        views.household_ledger(credited, "jingxiang", THEIR_HOUSEHOLD, mine)
    with pytest.raises(Forbidden):
        views.waiting_hours(credited, "jingxiang", None, 50, mine)
    with pytest.raises(Forbidden):
        views.hours_csv(credited, "jingxiang", "households", mine)


def test_a_volunteer_without_a_household_reads_none(credited):
    mediator = token("p-mediator-1", "volunteer")  # the sample gives mediators no household
    with pytest.raises(views.NotFound):
        views.household_ledger(credited, "jingxiang", MY_HOUSEHOLD, mediator)


INTEGRATION = Actor("k", "integration", frozenset({"read"}), frozenset({"jingxiang"}))


@pytest.mark.parametrize(
    "reader", [token("p-staff-1", "staff"), token("p-g1-gw-1", "grid_worker"), INTEGRATION]
)
def test_staff_grid_roles_and_keys_read_the_communitys_ledgers(credited, reader):
    assert views.person_ledger(credited, NEIGHBOUR, reader)["balance_minutes"] == 60
    found = views.household_ledger(credited, "jingxiang", THEIR_HOUSEHOLD, reader)
    assert found["balance_minutes"] == 60
    assert views.waiting_hours(credited, "jingxiang", None, 50, reader)["waiting"] == 0
