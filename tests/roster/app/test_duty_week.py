"""A person's week of duty (app/duty_week.py) on the in-memory store with the sample
community: every rota they are on, whichever grids it serves — a neighbouring grid's
included —, in the community's zone, and read only by whom the rule lets (anyone else:
"not found"). The calendar feed reads the same rotas."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from lianxin.access.actors import Actor
from services.roster.app import duty, feeds, views
from services.roster.app.duty_week import duty_week
from tests.roster.conftest import FRIDAY_NOON_UTC

CHANGSHA = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 2)  # FRIDAY_NOON_UTC's week
ME = "p-g3-green-1"  # home grid 3
NEIGHBOURS_ROTA = "jingxiang-g1:green_vests"  # grid 1's: ME takes its evening shift here
MINE = "jingxiang-g3:green_vests"


def token(person_id: str, role: str, community: str = "jingxiang") -> Actor:
    """A person's token through the console's key (read and act)."""
    return Actor("k", "console", frozenset({"read", "act"}), frozenset({community}),
                 person_id=person_id, role=role)  # fmt: skip


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=CHANGSHA)


@pytest.fixture
def serving_grid_1(store, community):
    """ME put in the third crew of grid 1's green vests (its 16:00 shift), as an import
    would: their home grid stays grid 3."""
    with store.change("rotas", NEIGHBOURS_ROTA) as change:
        crews = [*change.value["crews"][:2], {**change.value["crews"][2], "people": [ME]}]
        change.save({**change.value, "crews": crews})
    store.forget()
    assert store.find("people", ME)["home_grids"] == ["jingxiang-g3"]
    return store


def test_the_week_holds_the_shifts_of_every_rota_the_person_is_on(serving_grid_1):
    week = duty_week(serving_grid_1, ME, MONDAY, FRIDAY_NOON_UTC, token(ME, "volunteer"))
    assert (week["timezone"], week["week"]) == ("Asia/Shanghai", MONDAY)
    assert (week["start"], week["end"]) == (local(2, 0), local(9, 0))
    assert [r["rota_id"] for r in week["rotas"]] == [NEIGHBOURS_ROTA, MINE]
    theirs = [s for s in week["shifts"] if s["rota_id"] == NEIGHBOURS_ROTA]
    assert [s["start_local"] for s in theirs] == [local(day, 16) for day in range(2, 9)]
    first = theirs[0]
    assert first["grids"] == [{"grid_id": "jingxiang-g1", "name": "第一网格（1–16栋）"}]
    assert first["team"] == {"code": "green_vests", "name": "绿马甲·环境维护"}
    assert (first["day"], first["start"].utcoffset().total_seconds()) == (date(2026, 3, 2), 0)
    assert first["start"] == first["start_local"]  # the same instant, in UTC and locally
    assert len(week["shifts"]) == 14 and week["shifts"] == sorted(
        week["shifts"], key=lambda s: s["start"]
    )


def test_where_the_person_stands_now_in_a_neighbouring_grids_rota(serving_grid_1):
    now = local(6, 17)  # Friday 17:00: their grid-1 shift is under way
    week = duty_week(serving_grid_1, ME, None, now, token(ME, "volunteer"))
    assert week["week"] == MONDAY  # this week, in the community's zone
    stands = {r["rota_id"]: r["on_duty_now"] for r in week["rotas"]}
    assert stands == {NEIGHBOURS_ROTA: True, MINE: False}
    (under_way,) = [s for s in week["shifts"] if s["under_way"]]
    assert (under_way["rota_id"], under_way["on_duty_now"]) == (NEIGHBOURS_ROTA, True)
    duty.check_out(serving_grid_1, NEIGHBOURS_ROTA, ME, now)
    duty.check_in(serving_grid_1, MINE, ME, now)
    week = duty_week(serving_grid_1, ME, None, now, token(ME, "volunteer"))
    stands = {r["rota_id"]: (r["on_duty_now"], r["checked_in_at"]) for r in week["rotas"]}
    assert stands == {NEIGHBOURS_ROTA: (False, None), MINE: (True, now)}


def test_a_rota_of_the_persons_team_they_are_not_on_is_not_theirs(store, community):
    week = duty_week(store, ME, MONDAY, FRIDAY_NOON_UTC, token(ME, "volunteer"))
    assert [r["rota_id"] for r in week["rotas"]] == [MINE]
    assert {s["rota_id"] for s in week["shifts"]} == {MINE}


@pytest.mark.parametrize(
    ("reader", "role"),
    [("p-g3-green-2", "volunteer"), ("p-g2-gw-1", "grid_worker"), ("p-ul-001", "unit_leader")],
)
def test_who_may_not_read_it_finds_no_person(serving_grid_1, reader, role):
    with pytest.raises(duty.PersonNotFound):
        duty_week(serving_grid_1, ME, MONDAY, FRIDAY_NOON_UTC, token(reader, role))


@pytest.mark.parametrize(
    ("reader", "role"),
    [("p-staff-1", "staff"), ("p-g1-gw-1", "grid_worker"), ("p-g3-leader", "grid_leader")],
)
def test_staff_and_the_workers_of_a_grid_the_person_serves_read_it(serving_grid_1, reader, role):
    week = duty_week(serving_grid_1, ME, MONDAY, FRIDAY_NOON_UTC, token(reader, role))
    assert week["person_id"] == ME


def test_another_communitys_key_finds_no_person(serving_grid_1):
    with pytest.raises(views.NotFound):
        duty_week(serving_grid_1, ME, MONDAY, FRIDAY_NOON_UTC, token("x-staff", "staff", "other"))


def test_the_feed_holds_the_neighbouring_grids_shifts_too(serving_grid_1):
    person = serving_grid_1.find("people", ME)
    calendar = Calendar.from_ical(feeds.calendar(serving_grid_1, person, FRIDAY_NOON_UTC))
    places = {str(e.get("location")) for e in calendar.walk("VEVENT")}
    assert places == {"第一网格（1–16栋）", "第三网格（33–46栋及商铺）"}
