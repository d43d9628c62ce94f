"""A person's own week (domain/my_duty.py): their shifts out of roster's rota weeks, where
they stand in each rota now, which of sign-in and sign-out fits, and a shift's times in
the community's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.console.domain.my_duty import (
    NotOnDuty,
    duty_form_id,
    my_rotas,
    my_shifts,
    on_duty_now,
    public_feed_url,
    rota_to_act_on,
    shift_times,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 4, 2, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
ME, OTHER = "p-me", "p-other"
ROTA = "g1:red_vests"


def person(person_id: str) -> dict:
    return {"person_id": person_id, "display_name": "李**"}


def shift(start: str, end: str, scheduled=(ME,), on_duty=(ME,), rota=ROTA) -> dict:
    return {"rota_id": rota, "start": start, "end": end,
            "scheduled": [person(p) for p in scheduled],
            "on_duty": [person(p) for p in on_duty]}  # fmt: skip


def week(shifts, overrides=(), leave=(), members=(ME, OTHER), rota=ROTA) -> dict:
    return {
        "team": "red_vests", "timezone": "Asia/Shanghai",
        "rotas": [{"rota_id": rota, "check_in_required": True,
                   "members": [person(p) for p in members]}],
        "shifts": list(shifts), "overrides": list(overrides), "leave": list(leave),
    }  # fmt: skip


NOW_SHIFT = shift("2026-03-04T08:00:00+08:00", "2026-03-04T16:00:00+08:00")
LATER_SHIFT = shift("2026-03-05T00:00:00+08:00", "2026-03-05T08:00:00+08:00")
OTHERS_SHIFT = shift("2026-03-04T16:00:00+08:00", "2026-03-05T00:00:00+08:00",
                     scheduled=(OTHER,), on_duty=(OTHER,))  # fmt: skip


def override(kind: str, start: str, end: str, who: str = ME) -> dict:
    return {"rota_id": ROTA, "person_id": who, "kind": kind, "start": start, "end": end}


def test_only_the_persons_shifts_each_once_in_time_order():
    # the same rota seen through two of the person's grids: each shift once
    weeks = [week([LATER_SHIFT, NOW_SHIFT, OTHERS_SHIFT]), week([NOW_SHIFT])]
    found = my_shifts(weeks, ME, NOW)
    assert [s.start.isoformat() for s in found] == [
        "2026-03-04T08:00:00+08:00", "2026-03-05T00:00:00+08:00"
    ]
    assert [s.now for s in found] == [True, False]


def test_a_shift_covered_by_someone_else_is_shown_as_not_on_duty():
    covered = shift("2026-03-04T08:00:00+08:00", "2026-03-04T16:00:00+08:00",
                    scheduled=(ME,), on_duty=(OTHER,))  # fmt: skip
    (found,) = my_shifts([week([covered])], ME, NOW)
    assert not found.on_duty
    assert my_shifts([week([covered])], "p-nobody", NOW) == []


def test_a_sign_in_makes_no_one_elses_shift_the_persons_but_a_cover_does():
    # roster counts the person on duty in the other's shift their sign-in touches
    theirs = shift("2026-03-04T08:00:00+08:00", "2026-03-04T16:00:00+08:00",
                   scheduled=(OTHER,), on_duty=(OTHER, ME))  # fmt: skip
    signed = override("check_in", "2026-03-04T09:30:00+08:00", "2026-03-04T09:50:00+08:00")
    assert my_shifts([week([theirs], overrides=[signed])], ME, NOW) == []
    (rota,) = my_rotas([week([theirs], overrides=[signed])], ME, NOW)
    assert not rota.on_duty_now  # signed out at 09:50: the other's shift keeps no one on
    cover = override("cover", "2026-03-04T08:00:00+08:00", "2026-03-04T16:00:00+08:00")
    (found,) = my_shifts([week([theirs], overrides=[cover])], ME, NOW)
    assert found.covering and found.on_duty


def test_on_a_shift_under_way_the_person_may_sign_in_and_out():
    (rota,) = my_rotas([week([NOW_SHIFT])], ME, NOW)
    assert (rota.on_duty_now, rota.may_check_in, rota.may_check_out) == (True, True, True)


def test_signed_in_the_person_may_sign_out_but_not_in_again():
    signed = override("check_in", "2026-03-04T09:30:00+08:00", "2026-03-04T21:30:00+08:00")
    (rota,) = my_rotas([week([], overrides=[signed])], ME, NOW)
    assert rota.checked_in_at == datetime(2026, 3, 4, 1, 30, tzinfo=UTC)
    assert (rota.may_check_in, rota.may_check_out) == (False, True)


def test_signed_out_of_the_shift_under_way_the_person_is_off_duty():
    out = override("check_out", "2026-03-04T09:45:00+08:00", "2026-03-04T16:00:00+08:00")
    (rota,) = my_rotas([week([NOW_SHIFT], overrides=[out])], ME, NOW)
    assert not rota.may_check_out
    with pytest.raises(NotOnDuty):
        rota_to_act_on([rota], ROTA, "check_out")


def test_someone_elses_sign_in_and_leave_are_not_the_persons():
    theirs = override("check_in", "2026-03-04T09:30:00+08:00", "2026-03-04T21:30:00+08:00", OTHER)
    leave = {"person_id": OTHER, "start": "2026-03-04T00:00:00+08:00",
             "end": "2026-03-05T00:00:00+08:00"}  # fmt: skip
    (rota,) = my_rotas([week([NOW_SHIFT], overrides=[theirs], leave=[leave])], ME, NOW)
    assert (rota.checked_in_at, rota.on_duty_now) == (None, True)


@pytest.mark.parametrize(
    ("kinds", "scheduled", "on_leave", "expected"),
    [
        (set(), False, False, False),
        (set(), True, False, True),
        ({"check_out"}, True, False, False),
        ({"check_out", "check_in"}, True, False, True),  # signed out, then in again
        ({"extra"}, False, False, True),
        ({"cover"}, False, False, True),
        ({"check_in"}, True, True, False),  # leave takes them off
    ],
)
def test_on_duty_now_as_roster_applies_overrides(kinds, scheduled, on_leave, expected):
    assert on_duty_now(kinds, scheduled, on_leave) is expected


def test_a_rota_the_person_is_not_in_is_none_of_theirs():
    rotas = my_rotas([week([NOW_SHIFT], members=(OTHER,))], ME, NOW)
    assert rotas == []
    assert rota_to_act_on(rotas, ROTA, "check_in") is None
    (mine,) = my_rotas([week([NOW_SHIFT])], ME, NOW)
    assert rota_to_act_on([mine], "g2:red_vests", "check_in") is None
    assert rota_to_act_on([mine], ROTA, "check_in") is mine


def test_a_night_shift_shows_its_end_with_its_day_and_a_shift_to_midnight_ends_at_24():
    night = shift("2026-03-04T20:00:00+08:00", "2026-03-05T08:00:00+08:00")
    evening = shift("2026-03-04T16:00:00+08:00", "2026-03-05T00:00:00+08:00")
    found = my_shifts([week([night, evening])], ME, NOW)
    times = {s.start.astimezone(SHANGHAI).hour: shift_times(s, SHANGHAI) for s in found}
    assert (times[20].weekday, times[20].day, times[20].starts, times[20].ends) == (
        2, "03-04", "20:00", "03-05 08:00"
    )
    assert (times[16].starts, times[16].ends) == ("16:00", "24:00")


def test_a_form_is_kept_under_the_person_who_sent_it():
    assert duty_form_id("p-a", "k" * 22) != duty_form_id("p-b", "k" * 22)


def test_the_feed_url_is_the_consoles_with_rosters_token():
    roster_url = "http://roster:8002/v1/people/p-me/rota.ics?token=eyJw.Hn-T_y"
    assert public_feed_url(roster_url, "https://lx.example", "p-me") == (
        "https://lx.example/feeds/p-me/rota.ics?token=eyJw.Hn-T_y"
    )
    assert "%2F" in public_feed_url(roster_url, "https://lx.example", "p/../x")
