"""A grid's and team's week of duty (app/rota_week.py) on the in-memory store with the sample
community: its shifts, who is on duty once leave and covers are applied, and the gaps
`roster check` reports for the same window, by the same rule."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from lianxin.access.actors import Actor
from services.roster import admin
from services.roster.admin import OPERATOR
from services.roster.app import duty, views
from services.roster.app.rota_week import rota_week
from tests.roster.conftest import FRIDAY_NOON_UTC

CHANGSHA = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 2)  # FRIDAY_NOON_UTC's week
ELSEWHERE = Actor("k", "other", frozenset({"read"}), frozenset({"elsewhere"}))


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=CHANGSHA)


def test_a_week_holds_every_shift_from_monday_to_sunday_in_the_communitys_zone(store, community):
    week = rota_week(store, "jingxiang-g1", "green_vests", date(2026, 3, 6), FRIDAY_NOON_UTC,
                     OPERATOR)  # fmt: skip
    assert (week["start"], week["end"]) == (local(2, 0), local(9, 0))
    assert week["timezone"] == "Asia/Shanghai"
    assert len(week["shifts"]) == 21  # three eight-hour shifts a day
    assert (week["gaps"], week["overlaps"]) == ([], [])
    first = week["shifts"][0]
    assert first["start"] == local(2, 0)
    assert [p["person_id"] for p in first["scheduled"]] == ["p-g1-green-1"]
    assert first["on_duty"] == first["scheduled"]
    assert "p-g1-green-1" not in first["scheduled"][0]["display_name"]  # a masked name


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        (datetime(2026, 3, 8, 16, 30, tzinfo=UTC), date(2026, 3, 9)),  # Monday 00:30 in Beijing
        (datetime(2026, 3, 8, 15, 30, tzinfo=UTC), date(2026, 3, 2)),  # still Sunday there
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), date(2026, 12, 28)),  # 2027-01-01, a Friday
    ],
)
def test_without_a_day_the_week_is_the_one_of_the_communitys_today(store, community, now, monday):
    week = rota_week(store, "jingxiang-g1", "green_vests", None, now, OPERATOR)
    assert week["start"] == datetime.combine(monday, time(), tzinfo=CHANGSHA)


def test_leave_shows_in_the_week_and_makes_the_gap_roster_check_reports(store, community):
    duty.add_leave(store, "p-g1-green-2", local(3, 8), local(3, 16), "看病", "p-staff-1",
                   FRIDAY_NOON_UTC)  # fmt: skip
    week = rota_week(store, "jingxiang-g1", "green_vests", MONDAY, FRIDAY_NOON_UTC, OPERATOR)
    (leave,) = week["leave"]
    assert (leave["person_id"], leave["reason"]) == ("p-g1-green-2", "看病")
    tuesday_day = next(s for s in week["shifts"] if s["start"] == local(3, 8))
    assert [p["person_id"] for p in tuesday_day["scheduled"]] == ["p-g1-green-2"]
    assert tuesday_day["on_duty"] == []
    (gap,) = week["gaps"]
    assert (gap["start"], gap["end"], gap["hours"]) == (local(3, 8), local(3, 16), 8.0)
    checked = views.rota_check(store, "jingxiang", local(2, 0), 7, OPERATOR)
    assert gap in [g for g in checked["gaps"] if g["grid_id"] == "jingxiang-g1"]


def test_a_cover_moves_the_duty_and_is_listed_with_its_id(store, community):
    cover = duty.add_override(
        store, "jingxiang-g1:green_vests", "cover", "p-g1-green-3", local(7, 0), local(7, 8),
        "p-g1-green-1", "换班", FRIDAY_NOON_UTC,
    )  # fmt: skip
    week = rota_week(store, "jingxiang-g1", "green_vests", MONDAY, FRIDAY_NOON_UTC, OPERATOR)
    (listed,) = week["overrides"]
    assert (listed["id"], listed["kind"], listed["replaces"]) == (cover.id, "cover", "p-g1-green-1")
    night = next(s for s in week["shifts"] if s["start"] == local(7, 0))
    assert [p["person_id"] for p in night["on_duty"]] == ["p-g1-green-3"]
    assert week["gaps"] == []


def test_another_communitys_key_finds_no_grid_and_an_unknown_team_has_no_shifts(store, community):
    with pytest.raises(views.NotFound):
        rota_week(store, "jingxiang-g1", "green_vests", MONDAY, FRIDAY_NOON_UTC, ELSEWHERE)
    with pytest.raises(views.NotFound):  # a community is not a grid
        rota_week(store, "jingxiang", "green_vests", MONDAY, FRIDAY_NOON_UTC, OPERATOR)
    week = rota_week(store, "jingxiang-g1", "no_such_team", MONDAY, FRIDAY_NOON_UTC, OPERATOR)
    assert (week["rotas"], week["shifts"]) == ([], [])


def test_a_rota_that_needs_sign_ins_shows_its_recorded_no_shows(store, community):
    rota = store.rota("jingxiang-g1:green_vests")
    shift = next(rota.shifts(local(3, 0), local(3, 1)))
    store.insert("no_shows", {
        "_id": f"{rota.id}:p-g1-green-1:{shift.start.isoformat()}", "rota_id": rota.id,
        "person_id": "p-g1-green-1", "start": shift.start, "end": shift.end,
        "recorded_at": shift.start + timedelta(minutes=20),
    })  # fmt: skip
    week = rota_week(store, "jingxiang-g1", "green_vests", MONDAY, FRIDAY_NOON_UTC, OPERATOR)
    assert week["no_shows"] == []  # this rota needs no sign-in: nothing is looked up
    with store.change("rotas", rota.id) as change:
        change.save({**change.value, "check_in_required": True})
    store.forget()
    week = rota_week(store, "jingxiang-g1", "green_vests", MONDAY, FRIDAY_NOON_UTC, OPERATOR)
    assert [n["person_id"] for n in week["no_shows"]] == ["p-g1-green-1"]


def test_a_week_names_the_teams_whose_rotas_serve_the_grid(store, community):
    week = rota_week(store, "jingxiang-g1", "green_vests", MONDAY, FRIDAY_NOON_UTC, OPERATOR)
    codes = [team["code"] for team in week["teams"]]
    assert {"red_vests", "green_vests", "repair_crew", "grid_workers"} <= set(codes)
    assert {"code": "green_vests", "name": "绿马甲·环境维护"} in week["teams"]
    assert (
        rota_week(store, "jingxiang-g1", None, MONDAY, FRIDAY_NOON_UTC, OPERATOR)["team"]
        == codes[0]
    )


def test_roster_check_prints_gaps_and_overlaps_by_the_same_rule(store, community, monkeypatch):
    now = datetime.now(CHANGSHA)
    rota = store.rota("jingxiang-g1:green_vests")
    shift = next(s for s in rota.shifts(now, now + timedelta(days=2)) if s.start > now)
    (person,) = shift.people
    duty.add_leave(store, person, shift.start, shift.end, "", "p-staff-1", FRIDAY_NOON_UTC)
    monkeypatch.setattr(admin, "roster_store", contextmanager(lambda: iter([store])))
    printed = CliRunner().invoke(admin.roster, ["check", "jingxiang", "--days", "3"])
    assert printed.exit_code == 0, printed.output
    assert "overlaps" in printed.output
    assert "jingxiang-g1" in printed.output.split("overlaps")[0]  # the gap, before overlaps
