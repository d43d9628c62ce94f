"""A person's week of duty as plain Python (domain/duty_week.py): which rotas they are
on, their shifts in each (scheduled, or someone else's they cover), where they stand now,
and who may read it. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.roster.domain.duty_week import (
    is_on,
    may_read,
    person_duty,
    shifts_of,
    standing,
)
from services.roster.domain.rota import Override, Rota, Slot, compile_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
ME, OTHER = "p-me", "p-other"
NOW = datetime(2026, 3, 4, 2, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
WEEK = (datetime(2026, 3, 2, tzinfo=SHANGHAI), datetime(2026, 3, 9, tzinfo=SHANGHAI))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def rota(crews=((ME,), (OTHER,)), grids=("g2",)) -> Rota:
    """Two eight-hour shifts a day, 08:00 and 16:00, taken in turn: ME the day shift,
    OTHER the evening one."""
    slots = [Slot("FREQ=DAILY;BYHOUR=8", 480), Slot("FREQ=DAILY;BYHOUR=16", 480)]
    crews = tuple(tuple(crew) for crew in crews)
    plan = compile_plan(slots, date(2026, 1, 1), len(crews))
    return Rota("g2:red", "c", "red", tuple(grids), SHANGHAI, crews, plan)


def override(kind: str, start: datetime, end: datetime, who: str = ME, replaces=None):
    return Override(f"{kind}-{who}-{start.isoformat()}", kind, who, start, end, replaces)


def mine(overrides=(), leave=(), now=NOW, crews=((ME,), (OTHER,))):
    found = rota(crews)
    duty = person_duty(found, WEEK, list(overrides), ME, list(leave))
    return list(shifts_of(duty, overrides, ME, now))


def test_the_persons_scheduled_shifts_of_the_week_in_order_whichever_grid_the_rota_serves():
    found = mine()
    assert len(found) == 7  # the day shift, Monday to Sunday
    assert [s.start for s in found] == [local(day, 8) for day in range(2, 9)]
    assert all(s.rota_id == "g2:red" and s.on_duty and not s.covering for s in found)
    assert [s.under_way for s in found] == [False, False, True, False, False, False, False]


def test_a_shift_covered_by_someone_else_stays_the_persons_but_off_duty():
    cover = override("cover", local(4, 8), local(4, 16), who=OTHER, replaces=ME)
    wednesday = next(s for s in mine([cover]) if s.start == local(4, 8))
    assert not wednesday.on_duty


def test_leave_takes_the_person_off_their_shift():
    found = mine(leave=[(local(5, 0), local(6, 0))])
    thursday = next(s for s in found if s.start == local(5, 8))
    assert not thursday.on_duty and sum(s.on_duty for s in found) == 6


def test_a_cover_makes_someone_elses_shift_the_persons_but_a_sign_in_does_not():
    cover = override("cover", local(4, 16), local(5, 0), replaces=OTHER)
    covered = [s for s in mine([cover]) if s.covering]
    assert [(s.start, s.on_duty) for s in covered] == [(local(4, 16), True)]
    signed = override("check_in", local(3, 17), local(3, 18))
    assert not any(s.start == local(3, 16) for s in mine([signed]))


def test_someone_on_leave_covers_nobody():
    cover = override("cover", local(4, 16), local(5, 0), replaces=OTHER)
    assert not any(s.covering for s in mine([cover], leave=[(local(4, 0), local(5, 0))]))


def test_on_a_shift_under_way_the_person_is_on_duty_now_and_signed_out_they_are_not():
    found = rota()
    assert standing(found, [], ME, [], NOW).on_duty_now
    out = override("check_out", local(4, 9, 45), local(4, 16))
    assert not standing(found, [out], ME, [], NOW).on_duty_now
    assert not standing(found, [], ME, [(local(4, 0), local(5, 0))], NOW).on_duty_now


def test_an_open_sign_in_is_where_the_person_stands_and_someone_elses_is_not():
    found = rota()
    evening = NOW + timedelta(hours=9)  # 19:00, OTHER's shift
    signed = override("check_in", local(4, 18), local(5, 6))
    now_in = standing(found, [signed], ME, [], evening)
    assert (now_in.checked_in_at, now_in.on_duty_now) == (local(4, 18), True)
    theirs = override("check_in", local(4, 9), local(4, 21), who=OTHER)
    assert standing(found, [theirs], ME, [], NOW).checked_in_at is None
    ended = override("check_in", local(4, 6), local(4, 7))
    assert standing(found, [ended], ME, [], evening) == standing(found, [], ME, [], evening)


def test_a_person_is_on_a_rota_by_its_crews_or_an_override_of_theirs():
    theirs = rota(crews=((OTHER,),))
    assert not is_on(theirs, [], ME)
    assert is_on(theirs, [override("extra", local(4, 8), local(4, 12))], ME)
    assert is_on(rota(), [], ME)


@pytest.mark.parametrize(
    ("asking", "role", "reader_grids", "expected"),
    [
        (ME, "volunteer", (), True),  # their own
        ("p-neighbour", "volunteer", ("g2",), False),  # a volunteer reads only their own
        ("p-unit-leader", "unit_leader", ("g2",), False),
        ("p-staff", "staff", (), True),  # staff of the community (checked before)
        ("p-gw-2", "grid_worker", ("g2",), True),  # a grid the person serves
        ("p-gl-1", "grid_leader", ("g1",), True),  # the person's home grid
        ("p-gw-3", "grid_worker", ("g3",), False),  # neither
        (None, None, (), True),  # a key of the community acting for no person
    ],
)
def test_who_may_read_a_persons_week(asking, role, reader_grids, expected):
    reader = {"_id": asking, "home_grids": list(reader_grids)} if asking else None
    assert may_read(asking, role, reader, ME, ["g1", "g2"]) is expected


def test_a_grid_worker_unknown_to_the_roster_reads_nobodys_week():
    assert not may_read("p-gone", "grid_worker", None, ME, ["g1"])
