"""The quarter's red/black list (services.estate.domain.pact_list): who is on it by the
community's rule, and what is shown and masked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.estate.domain import pact, pact_list
from services.estate.domain.pact import Decision, Place
from services.estate.domain.pact_list import PactRules
from tests.estate.domain.test_pact import MADE, observation

AFTER = MADE + timedelta(days=10)  # every window closed
RULES = PactRules(answer_window=timedelta(days=7), black_min_breaches=2, red_min_commendations=1)
OTHER = Place("jingxiang-b02-u3-502", "jingxiang-b02", "2栋", "jingxiang-b02-u3", "2栋3单元",
              "502")  # fmt: skip


def numbered(n: int, **more) -> pact.Observation:
    return observation(**{"id": f"PO-{n:016x}", **more})


def upheld(seen: pact.Observation) -> pact.Observation:
    return replace(seen, decision=Decision("upheld", "", "p-staff-1", AFTER))


def listed(observations, rules=RULES) -> pact_list.PactList:
    return pact_list.compiled(
        community_id="jingxiang", quarter="2026-Q4", observations=observations, rules=rules,
        by="p-staff-1", now=AFTER,
    )  # fmt: skip


def test_the_black_list_holds_households_at_the_threshold_of_counting_breaches():
    answered = pact.answered(numbered(2), "不是我家", "", MADE + timedelta(days=1))
    two = [upheld(numbered(1)), numbered(3)]  # one upheld, one stood unanswered
    one = [upheld(numbered(4, place=OTHER)), answered]  # the answered one waits for staff
    found = listed([*two, *one])
    assert [(line.building, line.unit, line.room, line.count) for line in found.black] == [
        ("1栋", "1栋1单元", "12**", 2)
    ]


def test_withdrawn_and_open_breaches_do_not_count():
    withdrawn = replace(numbered(1), decision=Decision("withdrawn", "", "p-staff-1", AFTER))
    still_open = replace(numbered(2), answer_until=AFTER + timedelta(days=1))
    assert listed([withdrawn, still_open, upheld(numbered(3))]).black == ()


def test_a_black_line_shows_no_name_phone_seen_text_photo_or_answer():
    line = listed([upheld(numbered(1)), upheld(numbered(2))]).black[0]
    shown = repr(line)
    for hidden in ("1201", "楼道堆放纸箱", "P-1", "p-ul-001", "jingxiang-b01-u1-1201"):
        assert hidden not in shown
    assert line.surname == "" and line.articles == (1,)


def test_a_commendation_shows_the_surname_only_when_the_household_gave_it():
    without = numbered(1, kind="commendation")
    agreed = pact.answered(numbered(2, kind="commendation", place=OTHER), "谢谢", "欧阳",
                           MADE + timedelta(days=1))  # fmt: skip
    found = listed([without, upheld(agreed)])
    assert [(line.room, line.surname) for line in found.red] == [("12**", ""), ("5**", "欧阳")]


def test_the_thresholds_are_the_communitys():
    strict = PactRules(black_min_breaches=3, red_min_commendations=2)
    found = listed([upheld(numbered(1)), upheld(numbered(2)), numbered(3, kind="commendation")],
                   strict)  # fmt: skip
    assert found.black == () and found.red == ()


def test_another_community_or_quarter_is_left_out():
    elsewhere = [numbered(1, community_id="yuhua"), numbered(2, quarter="2026-Q3")]
    assert listed([*elsewhere, numbered(3)]).black == ()


@pytest.mark.parametrize(
    ("room", "masked"), [("1201", "12**"), ("302", "3**"), ("5", "*"), ("", "")]
)
def test_the_room_keeps_its_floor_and_stars_its_door(room, masked):
    assert pact_list.masked_room(room) == masked


def test_a_quarter_is_published_from_its_first_local_day():
    first = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 00:00 on 1 October in Changsha
    pact_list.check_publishable("2026-Q4", first, "Asia/Shanghai")
    with pytest.raises(pact_list.QuarterNotStarted):
        pact_list.check_publishable("2026-Q4", first - timedelta(seconds=1), "Asia/Shanghai")
