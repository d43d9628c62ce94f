"""Rota maths as plain Python: compiled plans against dateutil's own expansion, shift
edges, midnight, overrides, leave, gaps and load. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from services.roster.domain.intervals import merge, subtract
from services.roster.domain.rota import (
    Duty,
    InvalidRota,
    Override,
    Rota,
    Slot,
    compile_plan,
    duty,
    gaps,
    load,
    on_duty,
    overlaps,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")  # has daylight saving: shifts keep wall-clock starts
ANCHOR = date(2026, 1, 1)  # a Thursday


def local(*args, zone=SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=zone)


def make(slots, crews, zone=SHANGHAI, anchor=ANCHOR, **extra) -> Rota:
    crews = tuple(tuple(crew) for crew in crews)
    return Rota(
        id="r",
        community_id="c",
        team="t",
        grids=("g",),
        zone=zone,
        crews=crews,
        plan=compile_plan([Slot(rule, minutes) for rule, minutes in slots], anchor, len(crews)),
        **extra,
    )


EIGHT_HOURS = [("FREQ=HOURLY;INTERVAL=8", 480)]
THREE_FIXED = make(
    [("FREQ=DAILY;BYHOUR=0", 480), ("FREQ=DAILY;BYHOUR=8", 480), ("FREQ=DAILY;BYHOUR=16", 480)],
    [["night"], ["day"], ["eve"]],
)
FOUR_ROTATING = make(EIGHT_HOURS, [["a"], ["b"], ["c"], ["d"]])
DESK = make(
    [("FREQ=WEEKLY;BYDAY=FR;BYHOUR=9", 180), ("FREQ=WEEKLY;BYDAY=FR;BYHOUR=14", 180)],
    [["m1", "m2"], ["m3", "m4"], ["m5", "m6"]],
    anchor=date(2026, 1, 2),
)
NIGHTS = make([("FREQ=DAILY;BYHOUR=22", 600)], [["owl"]])  # 22:00 to 08:00 next morning


# -- compiling ---------------------------------------------------------------------------------


def test_the_cycle_is_as_long_as_it_takes_for_rules_and_crews_to_come_round():
    assert THREE_FIXED.plan.days == 1
    assert FOUR_ROTATING.plan.days == 4  # 3 shifts a day, 4 crews: lcm(3, 4) shifts
    assert DESK.plan.days == 21  # 2 sessions a week, 3 crews: three weeks
    assert len(DESK.plan.shifts) == 6


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=MONTHLY", "FREQ=DAILY, WEEKLY or HOURLY"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "BYMONTHDAY has no place"),
        ("FREQ=DAILY;COUNT=3", "COUNT has no place"),
        ("FREQ=DAILY;UNTIL=20260301T000000", "UNTIL has no place"),
        ("FREQ=WEEKLY;BYDAY=1FR", "plain weekdays"),
        ("FREQ=DAILY;INTERVAL=x", "whole number"),
        ("FREQ=DAILY;BYHOUR=25", "Not a valid RRULE"),
        ("nonsense", "Not an RRULE part"),
    ],
)
def test_a_rule_that_cannot_make_a_repeating_rota_is_refused_saying_why(rule, why):
    with pytest.raises(InvalidRota, match=why):
        compile_plan([Slot(rule, 60)], ANCHOR, 1)


def test_a_cycle_too_long_to_keep_is_refused():
    with pytest.raises(InvalidRota, match="repeats only every"):
        compile_plan([Slot("FREQ=WEEKLY;INTERVAL=7", 60)], ANCHOR, 61)


# -- on duty -----------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [SHANGHAI, UTC], ids=["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2026, 3, 6, 7, 59, 59, 999999), ["night"]),
        (local(2026, 3, 6, 8, 0), ["day"]),
        (local(2026, 3, 6, 15, 59, 59), ["day"]),
        (local(2026, 3, 6, 16, 0), ["eve"]),
        (local(2026, 3, 6, 23, 59, 59), ["eve"]),
        (local(2026, 3, 7, 0, 0), ["night"]),
    ],
)
def test_a_shift_includes_its_start_and_excludes_its_end_in_any_zone(zone, at, expected):
    assert on_duty(THREE_FIXED, at.astimezone(zone)) == expected


def test_a_night_shift_runs_across_midnight():
    assert on_duty(NIGHTS, local(2026, 3, 6, 21, 59)) == []
    assert on_duty(NIGHTS, local(2026, 3, 6, 23, 30)) == ["owl"]
    assert on_duty(NIGHTS, local(2026, 3, 7, 3, 0)) == ["owl"]
    assert on_duty(NIGHTS, local(2026, 3, 7, 8, 0)) == []


def test_nobody_is_on_duty_before_the_rota_starts_or_after_it_ends():
    ending = make(EIGHT_HOURS, [["a"]], until=date(2026, 2, 1))
    assert on_duty(ending, local(2025, 12, 31, 12)) == []
    assert on_duty(ending, local(2026, 2, 1, 12)) == ["a"]
    assert on_duty(ending, local(2026, 2, 2, 12)) == []


def test_four_crews_on_three_shifts_rotate_through_the_times_of_day():
    first_days = [on_duty(FOUR_ROTATING, local(2026, 1, 1 + day, 9)) for day in range(4)]
    assert first_days == [["b"], ["a"], ["d"], ["c"]]


def test_the_mediation_desk_is_open_friday_mornings_and_afternoons_crews_in_turn():
    fridays = [local(2026, 1, 2) + timedelta(weeks=week) for week in range(4)]
    sessions = [
        (on_duty(DESK, friday + timedelta(hours=10)), on_duty(DESK, friday + timedelta(hours=15)))
        for friday in fridays
    ]
    assert sessions == [
        (["m1", "m2"], ["m3", "m4"]),
        (["m5", "m6"], ["m1", "m2"]),
        (["m3", "m4"], ["m5", "m6"]),
        (["m1", "m2"], ["m3", "m4"]),
    ]
    assert on_duty(DESK, local(2026, 1, 2, 13)) == []
    assert on_duty(DESK, local(2026, 1, 8, 10)) == []  # a Thursday


def test_shifts_keep_their_wall_clock_start_across_a_daylight_saving_change():
    rota = make([("FREQ=DAILY;BYHOUR=9", 480)], [["x"]], zone=NEW_YORK)
    for day in (7, 8, 9):  # 2026-03-08: clocks go forward in New York
        assert on_duty(rota, local(2026, 3, day, 9, 0, zone=NEW_YORK)) == ["x"]
        assert on_duty(rota, local(2026, 3, day, 8, 59, zone=NEW_YORK)) == []


def test_on_duty_costs_the_same_ten_years_on():
    """The plan is read at the day in question: no walk from the rota's start."""
    later = local(2036, 3, 6, 9)
    assert on_duty(FOUR_ROTATING, later) == on_duty_by_dateutil(FOUR_ROTATING, EIGHT_HOURS, later)


# -- against dateutil's own expansion ---------------------------------------------------------


def on_duty_by_dateutil(rota: Rota, slots, at: datetime) -> list[str]:
    """The slow, obvious reading: expand every rule from the rota's start, number the
    shifts in time order, give the n-th to crew n mod k."""
    start = datetime.combine(rota.plan.anchor, datetime.min.time())
    until = at.astimezone(rota.zone).replace(tzinfo=None) + timedelta(days=1)
    found = []
    for order, (rule, minutes) in enumerate(slots):
        for begins in rrulestr(rule, dtstart=start).between(start, until, inc=True):
            found.append((begins, order, minutes))
    found.sort()
    people = []
    for index, (begins, _, minutes) in enumerate(found):
        begins_at = begins.replace(tzinfo=rota.zone)
        if begins_at <= at < begins_at + timedelta(minutes=minutes):
            people.extend(rota.crews[index % len(rota.crews)])
    return list(dict.fromkeys(people))


RULES = st.sampled_from(
    [
        ("FREQ=DAILY;BYHOUR=0", 480),
        ("FREQ=DAILY;BYHOUR=8", 480),
        ("FREQ=DAILY;BYHOUR=16", 480),
        ("FREQ=DAILY;BYHOUR=22", 600),
        ("FREQ=HOURLY;INTERVAL=8", 480),
        ("FREQ=HOURLY;INTERVAL=12", 720),
        ("FREQ=DAILY;BYHOUR=8;BYMINUTE=30", 540),
        ("FREQ=DAILY;INTERVAL=2;BYHOUR=7", 300),
        ("FREQ=WEEKLY;BYDAY=FR;BYHOUR=9", 180),
        ("FREQ=WEEKLY;BYDAY=MO,WE,SA;BYHOUR=20", 720),
        ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=30", 540),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU;BYHOUR=6", 1440),
    ]
)
ROTAS = st.tuples(
    st.lists(RULES, min_size=1, max_size=3, unique=True),
    st.integers(min_value=1, max_value=5),
    st.sampled_from([SHANGHAI, NEW_YORK]),
)
INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


@settings(deadline=None, max_examples=150)
@given(shape=ROTAS, at=INSTANTS)
def test_the_compiled_plan_agrees_with_dateutil_at_any_instant(shape, at):
    slots, crews, zone = shape
    rota = make(slots, [[f"p{index}"] for index in range(crews)], zone=zone)
    assert sorted(on_duty(rota, at)) == sorted(on_duty_by_dateutil(rota, slots, at))


@settings(deadline=None, max_examples=100)
@given(shape=ROTAS, at=INSTANTS, data=st.data())
def test_every_instant_inside_a_shift_is_on_duty_and_every_instant_outside_is_not(shape, at, data):
    slots, crews, zone = shape
    rota = make(slots, [[f"p{index}"] for index in range(crews)], zone=zone)
    shifts = list(rota.shifts(at - timedelta(days=15), at + timedelta(days=15)))
    for shift in shifts:
        inside = shift.start + (shift.end - shift.start) * data.draw(
            st.floats(min_value=0, max_value=0.999999)
        )
        for person in shift.people:
            assert person in on_duty(rota, shift.start)
            assert person in on_duty(rota, inside)
    for person in rota.members:
        spans = merge((s.start, s.end) for s in shifts if person in s.people)
        window = (at - timedelta(days=14), at + timedelta(days=14))
        for start, end in subtract([window], spans):
            outside = start + (end - start) * data.draw(st.floats(min_value=0, max_value=0.999999))
            assert person not in on_duty(rota, outside)
            assert person not in on_duty(rota, start)


# -- overrides and leave -------------------------------------------------------------------------


DAY = local(2026, 3, 6)


def test_leave_takes_someone_off_duty_for_exactly_its_length():
    leave = {"day": [(DAY + timedelta(hours=10), DAY + timedelta(hours=12))]}
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=9), leave=leave) == ["day"]
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=10), leave=leave) == []
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=12), leave=leave) == ["day"]


def test_a_cover_moves_exactly_the_covered_duty_and_a_swap_is_two_covers():
    swap = [
        Override("1", "cover", "eve", DAY, DAY + timedelta(days=1), replaces="day"),
        Override("2", "cover", "day", DAY, DAY + timedelta(days=1), replaces="eve"),
    ]
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=9), swap) == ["eve"]
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=17), swap) == ["day"]
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=3), swap) == ["night"]
    assert on_duty(THREE_FIXED, DAY + timedelta(days=1, hours=9), swap) == ["day"]


def test_someone_on_leave_covers_nobody():
    cover = [Override("1", "cover", "eve", DAY, DAY + timedelta(days=1), replaces="day")]
    leave = {"eve": [(DAY, DAY + timedelta(days=1))]}
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=9), cover, leave) == []


def test_sign_in_sign_out_extra_duty_and_no_show():
    at = DAY + timedelta(hours=9)
    signed_in = [Override("1", "check_in", "eve", at, at + timedelta(hours=12))]
    assert on_duty(THREE_FIXED, at + timedelta(minutes=5), signed_in) == ["day", "eve"]
    signed_out = [Override("2", "check_out", "day", at, DAY + timedelta(hours=16))]
    assert on_duty(THREE_FIXED, at + timedelta(minutes=5), signed_out) == []
    assert on_duty(THREE_FIXED, DAY + timedelta(hours=16), signed_out) == ["eve"]
    extra = [Override("3", "extra", "visitor", at, at + timedelta(hours=1))]
    assert on_duty(THREE_FIXED, at, extra) == ["day", "visitor"]
    missed = [Override("4", "no_show", "day", DAY + timedelta(hours=8), DAY + timedelta(hours=16))]
    assert on_duty(THREE_FIXED, at, missed) == []


# -- the rota check ------------------------------------------------------------------------------


def test_the_check_finds_gaps_to_the_minute_and_none_where_rotas_overlap():
    daytime = make([("FREQ=DAILY;BYHOUR=8", 600)], [["a"]])  # 08:00–18:00
    evening = make([("FREQ=DAILY;BYHOUR=17", 300)], [["b"]])  # 17:00–22:00
    window = (DAY, DAY + timedelta(days=1))
    found = gaps("g", "t", [duty(daytime, window), duty(evening, window)], window)
    assert [(g.start, g.end) for g in found] == [
        (DAY, DAY + timedelta(hours=8)),
        (DAY + timedelta(hours=22), DAY + timedelta(days=1)),
    ]
    assert sum(g.hours for g in found) == 10


def test_leave_opens_a_gap_that_the_check_reports():
    window = (DAY, DAY + timedelta(days=1))
    away = {"day": [(DAY + timedelta(hours=8), DAY + timedelta(hours=12))]}
    found = gaps("g", "t", [duty(THREE_FIXED, window, leave=away)], window)
    assert [(g.start, g.end) for g in found] == [
        (DAY + timedelta(hours=8), DAY + timedelta(hours=12))
    ]


def test_load_is_even_when_crews_take_turns_and_uneven_when_one_serves_for_another():
    window = (local(2026, 1, 1), local(2026, 1, 29))  # seven whole cycles of four days
    even = load(duty(FOUR_ROTATING, window))
    assert set(even.hours.values()) == {168.0} and not even.uneven
    covered = [Override("1", "cover", "a", *window, replaces="b")]
    skewed = load(duty(FOUR_ROTATING, window, covered))
    assert skewed.hours["a"] == 336.0 and skewed.hours["b"] == 0 and skewed.uneven


def test_two_rotas_on_duty_at_once_overlap_and_one_rota_alone_never_does():
    window = (local(2026, 3, 2), local(2026, 3, 3))
    day = Duty(DESK, window, {"a": ((local(2026, 3, 2, 8), local(2026, 3, 2, 20)),)})
    late = Duty(DESK, window, {"b": ((local(2026, 3, 2, 18), local(2026, 3, 2, 23)),),
                               "c": ((local(2026, 3, 2, 19), local(2026, 3, 2, 21)),)})  # fmt: skip
    (both,) = overlaps("g1", "red_vests", [day, late], window)
    assert (both.start, both.end, both.hours) == (local(2026, 3, 2, 18), local(2026, 3, 2, 20), 2)
    assert overlaps("g1", "red_vests", [late], window) == []  # two people of one rota: a crew
