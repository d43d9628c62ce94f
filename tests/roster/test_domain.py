"""Who is on duty and who gets the case: plain Python, no I/O."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from services.roster.domain import (
    Escalation,
    Leave,
    Offer,
    Rota,
    Shift,
    choose,
    offer_or_escalate,
)
from services.roster.store import community_documents, rota_from_document

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROTA_START = datetime(2026, 1, 1, tzinfo=SHANGHAI)  # a Thursday
REPO = Path(__file__).parents[2]
SAMPLE_COMMUNITY = REPO / "services" / "roster" / "data" / "sample_community.yaml"
ROUND_THE_CLOCK_TEAMS = {"red_vests", "green_vests", "blue_vests", "repair_crew", "grid_workers"}


def daily(person_id: str, hour: int) -> Shift:
    return Shift(person_id, f"FREQ=DAILY;BYHOUR={hour};BYMINUTE=0;BYSECOND=0", 8, ROTA_START)


THREE_SHIFTS = Rota(
    "jingxiang-g1", "red_vests", (daily("night", 0), daily("day", 8), daily("eve", 16))
)

instants = st.datetimes(
    min_value=datetime(2026, 1, 1, 0, 0), max_value=datetime(2028, 12, 31, 23, 59)
).map(lambda local: local.replace(tzinfo=SHANGHAI))


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# Shifts


@pytest.mark.parametrize("zone", [SHANGHAI, UTC], ids=["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize(
    ("local", "covered"),
    [
        (shanghai(2026, 3, 6, 7, 59, 59), False),
        (shanghai(2026, 3, 6, 8, 0), True),
        (shanghai(2026, 3, 6, 15, 59, 59), True),
        (shanghai(2026, 3, 6, 16, 0), False),
    ],
)
def test_a_shift_starts_inclusive_and_ends_exclusive_in_any_zone(zone, local, covered):
    assert daily("day", 8).covers(local.astimezone(zone)) is covered


def test_shanghai_eight_oclock_is_midnight_utc_for_a_shift():
    shift = daily("day", 8)
    assert shift.covers(datetime(2026, 3, 6, 0, 0, tzinfo=UTC))
    assert not shift.covers(datetime(2026, 3, 5, 23, 59, tzinfo=UTC))


def test_nobody_is_on_a_shift_before_the_rota_starts():
    assert not daily("night", 0).covers(shanghai(2025, 12, 31, 1, 0))


# Rotas


@pytest.mark.parametrize("hour", range(24))
def test_three_eight_hour_shifts_cover_each_hour_with_one_person(hour):
    expected = ["night", "day", "eve"][hour // 8]
    assert THREE_SHIFTS.on_duty(shanghai(2026, 3, 6, hour, 30)) == [expected]


@settings(deadline=None)
@given(at=instants, as_utc=st.booleans())
def test_three_eight_hour_shifts_put_exactly_one_person_on_duty_at_any_instant(at, as_utc):
    expected = ["night", "day", "eve"][at.hour // 8]
    assert THREE_SHIFTS.on_duty(at.astimezone(UTC) if as_utc else at) == [expected]


def test_someone_on_leave_is_not_on_duty():
    at = shanghai(2026, 3, 6, 10, 0)
    leave = Leave("day", shanghai(2026, 3, 6, 0, 0), shanghai(2026, 3, 7, 0, 0))
    rota = Rota("jingxiang-g1", "red_vests", THREE_SHIFTS.shifts, (leave,))
    assert rota.on_duty(at) == []
    assert rota.on_duty(shanghai(2026, 3, 7, 10, 0)) == ["day"]


def test_leave_starts_inclusive_and_ends_exclusive():
    leave = Leave("day", shanghai(2026, 3, 6, 9, 0), shanghai(2026, 3, 6, 12, 0))
    assert leave.covers(shanghai(2026, 3, 6, 9, 0))
    assert not leave.covers(shanghai(2026, 3, 6, 12, 0))


def test_a_person_with_two_shifts_is_listed_once_in_rota_order():
    rota = Rota("g", "t", (daily("b", 8), daily("a", 8), Shift("b", "FREQ=HOURLY", 1, ROTA_START)))
    assert rota.on_duty(shanghai(2026, 3, 6, 9, 0)) == ["b", "a"]


MEDIATION = Shift("p-mediator-1", "FREQ=WEEKLY;BYDAY=FR;BYHOUR=9", 3, ROTA_START)


@pytest.mark.parametrize(
    ("at", "weekday", "open_"),
    [
        (shanghai(2026, 3, 6, 10, 0), "Fri", True),
        (shanghai(2026, 3, 6, 9, 0), "Fri", True),
        (shanghai(2026, 3, 5, 10, 0), "Thu", False),
        (shanghai(2026, 3, 6, 12, 0), "Fri", False),
        (shanghai(2026, 3, 7, 10, 0), "Sat", False),
    ],
)
def test_the_mediation_desk_is_open_friday_mornings(at, weekday, open_):
    assert at.strftime("%a") == weekday
    assert MEDIATION.covers(at) is open_


# Choosing a person


def test_the_same_case_always_lands_on_the_same_person():
    on_duty = ["a", "b", "c", "d"]
    assert len({choose(on_duty, "C-42") for _ in range(5)}) == 1
    assert choose(on_duty, "C-42") in on_duty


@given(
    on_duty=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=8, unique=True),
    case_id=st.text(max_size=20),
    data=st.data(),
)
def test_an_excluded_person_is_never_chosen(on_duty, case_id, data):
    excluded = data.draw(st.lists(st.sampled_from(on_duty), unique=True))
    chosen = choose(on_duty, case_id, excluded)
    if set(excluded) == set(on_duty):
        assert chosen is None
    else:
        assert chosen in on_duty
        assert chosen not in excluded


def test_nobody_to_choose_from_gives_none():
    assert choose([], "C-1") is None
    assert choose(["a"], "C-1", excluded=["a"]) is None


def test_cases_spread_roughly_evenly_over_the_people_on_duty():
    picks = Counter(choose(["a", "b", "c"], f"C-{n}") for n in range(3000))
    assert set(picks) == {"a", "b", "c"}
    assert all(0.25 * 3000 <= count <= 0.42 * 3000 for count in picks.values())


# The dispatch decision


def test_no_rota_escalates_to_the_grid_leader():
    at = shanghai(2026, 3, 6, 10)
    decision = offer_or_escalate(None, "OF-1", "C-1", at, timedelta(minutes=30))
    assert isinstance(decision, Escalation)
    assert (decision.case_id, decision.level) == ("C-1", "grid_leader")


def test_nobody_on_duty_escalates_to_the_grid_leader():
    rota = Rota("jingxiang-g1", "mediation_desk", (MEDIATION,))
    decision = offer_or_escalate(rota, "OF-1", "C-1", shanghai(2026, 3, 5, 10), timedelta(hours=4))
    assert isinstance(decision, Escalation)
    assert decision.level == "grid_leader"
    assert "nobody" in decision.reason


def test_someone_on_duty_gets_an_offer_that_expires_after_the_window():
    at = shanghai(2026, 3, 6, 10, 0)
    decision = offer_or_escalate(THREE_SHIFTS, "OF-1", "C-1", at, timedelta(minutes=30))
    assert decision == Offer(
        id="OF-1",
        case_id="C-1",
        person_id="day",
        grid_id="jingxiang-g1",
        team="red_vests",
        made_at=at,
        expires_at=shanghai(2026, 3, 6, 10, 30),
    )
    assert decision.state == "open"


# The sample community, as roster stores it


DOCUMENTS = community_documents(yaml.safe_load(SAMPLE_COMMUNITY.read_text(encoding="utf-8")))
ROUND_THE_CLOCK_ROTAS = [
    rota_from_document(document)
    for document in DOCUMENTS["rotas"]
    if document["team"] in ROUND_THE_CLOCK_TEAMS
]


def test_every_grid_has_a_round_the_clock_rota_for_each_team():
    grids = {grid["_id"] for grid in DOCUMENTS["grids"]}
    rotas = {(rota.grid_id, rota.team) for rota in ROUND_THE_CLOCK_ROTAS}
    assert len(grids) == 3
    assert rotas == {(grid, team) for grid in grids for team in ROUND_THE_CLOCK_TEAMS}


@pytest.mark.parametrize("hour", range(24))
def test_every_round_the_clock_rota_has_someone_on_duty_each_hour(hour):
    at = shanghai(2026, 3, 6, hour, 0)
    empty = [(rota.grid_id, rota.team) for rota in ROUND_THE_CLOCK_ROTAS if not rota.on_duty(at)]
    assert empty == []


@settings(deadline=None, max_examples=50)
@given(at=instants)
def test_every_round_the_clock_rota_has_someone_on_duty_at_any_instant(at):
    assert all(rota.on_duty(at) for rota in ROUND_THE_CLOCK_ROTAS)


def test_people_are_stored_once_with_all_their_memberships():
    ids = [person["_id"] for person in DOCUMENTS["people"]]
    assert len(ids) == len(set(ids))
    repairer = next(person for person in DOCUMENTS["people"] if person["_id"] == "p-repair-1")
    assert {m["grid_id"] for m in repairer["memberships"]} == {"jingxiang-g1", "jingxiang-g3"}


def test_every_grid_leader_is_a_known_person():
    people = {person["_id"] for person in DOCUMENTS["people"]}
    assert {grid["leader"] for grid in DOCUMENTS["grids"]} <= people


def test_the_repair_crew_is_seven_people():
    crew = {
        person["_id"]
        for person in DOCUMENTS["people"]
        if any(m["team"] == "repair_crew" for m in person["memberships"])
    }
    assert len(crew) == 7


def test_the_mediation_desk_is_open_only_on_friday_hours():
    desk = next(
        rota_from_document(document)
        for document in DOCUMENTS["rotas"]
        if document["_id"] == "jingxiang-g2:mediation_desk"
    )
    assert desk.on_duty(shanghai(2026, 3, 6, 10)) == ["p-mediator-1", "p-mediator-2"]
    assert desk.on_duty(shanghai(2026, 3, 6, 15)) == ["p-mediator-1", "p-mediator-2"]
    assert desk.on_duty(shanghai(2026, 3, 6, 13)) == []
    assert desk.on_duty(shanghai(2026, 3, 5, 10)) == []
