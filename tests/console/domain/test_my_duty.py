"""A person's own week (domain/my_duty.py): their shifts and rotas out of roster's duty
week — a rota of a grid not their home grid as much as any —, which of sign-in and
sign-out fits, a rota not theirs refused, and a shift's times in the community's zone.
(Who is on duty when, covers and leave applied, is roster's rule: domain/duty_week.py,
tested in tests/roster/domain/test_duty_week.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.console.domain.my_duty import (
    NotOnDuty,
    duty_form_id,
    my_rotas,
    my_shifts,
    public_feed_url,
    rota_to_act_on,
    shift_times,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOME, NEIGHBOURS = "g3:green_vests", "g1:green_vests"  # the person's home grid's, grid 1's
TEAM = {"code": "green_vests", "name": "绿马甲"}


def grids(*names: str) -> list[dict]:
    return [{"grid_id": f"g{n}", "name": name} for n, name in enumerate(names, 1)]


def shift(start: str, end: str, rota=HOME, where=("第三网格",), **state) -> dict:
    """A shift as roster's duty week answers it."""
    return {"rota_id": rota, "team": TEAM, "grids": grids(*where), "start": start, "end": end,
            "on_duty": True, "under_way": False, "on_duty_now": False, "covering": False,
            **state}  # fmt: skip


def rota(rota_id=HOME, where=("第三网格",), **state) -> dict:
    return {"rota_id": rota_id, "team": TEAM, "grids": grids(*where),
            "check_in_required": True, "checked_in_at": None, "on_duty_now": False,
            **state}  # fmt: skip


def week(shifts=(), rotas=None) -> dict:
    """Roster's duty week (`rotas`: default, the home grid's rota only)."""
    found = [rota()] if rotas is None else list(rotas)
    return {"timezone": "Asia/Shanghai", "shifts": list(shifts), "rotas": found}


def test_the_persons_shifts_are_rosters_with_their_rota_team_and_grids():
    theirs = shift("2026-03-04T08:00:00Z", "2026-03-04T10:00:00Z", rota=NEIGHBOURS,
                   where=("第一网格",), under_way=True, covering=True)  # fmt: skip
    ours = shift("2026-03-04T00:00:00Z", "2026-03-04T08:00:00Z", on_duty=False)
    (mine, neighbours) = my_shifts(week([ours, theirs]))
    assert (neighbours.rota_id, neighbours.team, neighbours.grids) == (
        NEIGHBOURS,
        "绿马甲",
        ("第一网格",),
    )
    assert (neighbours.now, neighbours.covering, neighbours.on_duty) == (True, True, True)
    assert neighbours.start == datetime(2026, 3, 4, 8, tzinfo=UTC)
    assert (mine.on_duty, mine.now) == (False, False)


def test_every_rota_the_person_is_on_is_theirs_to_act_on_and_no_other():
    rotas = my_rotas(week(rotas=[rota(), rota(NEIGHBOURS, where=("第一网格",))]))
    assert [r.rota_id for r in rotas] == [NEIGHBOURS, HOME]
    (neighbours, _) = rotas
    assert rota_to_act_on(rotas, NEIGHBOURS, "check_in") is neighbours
    assert neighbours.grids == ("第一网格",) and neighbours.check_in_required
    assert rota_to_act_on(rotas, "g2:red_vests", "check_in") is None
    assert rota_to_act_on(my_rotas(week(rotas=[])), HOME, "check_in") is None


def test_on_duty_now_the_person_may_sign_in_and_out():
    (found,) = my_rotas(week(rotas=[rota(on_duty_now=True)]))
    assert (found.may_check_in, found.may_check_out) == (True, True)
    assert rota_to_act_on([found], HOME, "check_out") is found


def test_signed_in_the_person_may_sign_out_but_not_in_again():
    (found,) = my_rotas(week(rotas=[rota(checked_in_at="2026-03-04T01:30:00Z", on_duty_now=True)]))
    assert found.checked_in_at == datetime(2026, 3, 4, 1, 30, tzinfo=UTC)
    assert (found.may_check_in, found.may_check_out) == (False, True)


def test_off_duty_a_sign_out_is_refused_before_roster_is_asked():
    (found,) = my_rotas(week())
    assert not found.may_check_out
    with pytest.raises(NotOnDuty):
        rota_to_act_on([found], HOME, "check_out")


def test_a_night_shift_shows_its_end_with_its_day_and_a_shift_to_midnight_ends_at_24():
    night = shift("2026-03-04T20:00:00+08:00", "2026-03-05T08:00:00+08:00")
    evening = shift("2026-03-04T16:00:00+08:00", "2026-03-05T00:00:00+08:00")
    found = my_shifts(week([night, evening]))
    times = {s.start.astimezone(SHANGHAI).hour: shift_times(s, SHANGHAI) for s in found}
    assert (times[20].weekday, times[20].day, times[20].starts, times[20].ends) == (
        2,
        "03-04",
        "20:00",
        "03-05 08:00",
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
