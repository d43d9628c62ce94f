"""The pact's list, the property verdict and the notices' audiences as the simulator
expects them (its ground truth, worked out apart from the services), and their
schedules in two weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from scripts.simulate import people, volumes
from scripts.simulate.scenarios.notices import Notices, recipients
from scripts.simulate.scenarios.pact import Pact, Seen, expected_lists, masked_room, state_at
from scripts.simulate.scenarios.property import Estate, PropertyEvaluation, thresholds, verdict
from tests.simulate.conftest import Written

NOW = datetime(2026, 9, 30, 13, tzinfo=UTC)
RULES = {"black_min_breaches": 2, "red_min_commendations": 1}
HOUSEHOLDS = people.households()


def seen(n, kind="breach", household=0, article=3, **changes) -> Seen:
    base = Seen(f"o{n}", kind, HOUSEHOLDS[household], article, "2026-Q3",
                answer_until=NOW - timedelta(days=1))  # fmt: skip
    return Seen(**{**base.__dict__, **changes})


def test_a_room_shows_its_floor_with_the_door_starred():
    assert [masked_room(r) for r in ("1201", "302", "5")] == ["12**", "3**", "*"]


def test_an_observation_is_open_in_its_window_then_stands_or_waits_or_is_decided():
    assert state_at(seen(1, answer_until=NOW + timedelta(hours=1)), NOW) == "open"
    assert state_at(seen(1), NOW) == "stood"
    assert state_at(seen(1, answered=True), NOW) == "to_decide"
    decided = seen(1, decision="withdrawn", decided_at=NOW - timedelta(hours=1))
    assert state_at(decided, NOW) == "withdrawn"
    assert state_at(decided, NOW - timedelta(hours=2)) == "stood", "not decided yet then"


def test_the_black_list_needs_two_counting_breaches_the_red_one_commendation():
    household = HOUSEHOLDS[0]
    lists = expected_lists([
        seen(1, article=5), seen(2, article=2, answered=True, decision="upheld", decided_at=NOW),
        seen(3, household=1),  # one breach: not listed
        seen(4, household=2), seen(5, household=2, decision="withdrawn", decided_at=NOW),
        seen(6, household=3), seen(7, household=3, answer_until=NOW + timedelta(days=1)),
        seen(8, kind="commendation", household=4, answered=True, surname="王",
             decision="upheld", decided_at=NOW),
        seen(9, kind="commendation", household=5),  # stood: listed, no surname given
        seen(10, household=6), seen(11, household=6, quarter="2026-Q2"),
    ], "2026-Q3", NOW, RULES)  # fmt: skip
    names = people.area_names()
    assert lists["black"] == [{
        "building": names[household.building], "unit": names[household.unit],
        "room": masked_room(household.room), "count": 2, "articles": [2, 5], "surname": "",
    }]  # fmt: skip
    red = {(line["unit"], line["room"], line["surname"]) for line in lists["red"]}
    assert red == {
        (names[HOUSEHOLDS[4].unit], masked_room(HOUSEHOLDS[4].room), "王"),
        (names[HOUSEHOLDS[5].unit], masked_room(HOUSEHOLDS[5].room), ""),
    }
    assert all("*" in line["room"] for line in lists["black"] + lists["red"])


def test_the_verdict_follows_the_thresholds_from_the_figures():
    rules = thresholds()
    assert verdict(10, 0.59, 0, 170, rules) == "warning", "unhappy enough voters"
    assert verdict(9, 0.10, 0, 170, rules) == "none", "too few ballots to judge"
    assert verdict(10, 0.60, 0, 170, rules) == "none", "at the threshold is not below it"
    assert verdict(0, None, 2, 170, rules) == "warning", "1.2 complaints per 100 households"
    assert verdict(0, None, 1, 100, rules) == "none", "1.0 per 100 is not over it"
    assert verdict(0, None, 5, 0, rules) == "none", "no household on the register: no rate"


def test_an_estates_satisfaction_is_the_content_share_of_all_its_ballots():
    estate = Estate(170)
    assert estate.satisfaction is None
    estate.overall.update({"satisfied": 3, "basically_satisfied": 2, "dissatisfied": 3})
    assert (estate.ballots, estate.satisfaction) == (8, 5 / 8)


def test_moods_are_shares_of_the_three_answers():
    for mood in volumes.PROPERTY_MOODS.values():
        assert set(mood) == {"satisfied", "basically_satisfied", "dissatisfied"}
        assert abs(sum(mood.values()) - 1) < 1e-9
    assert set(volumes.PROPERTY_MOODS) == {h.estate for h in HOUSEHOLDS}


def test_a_notice_texts_the_people_known_to_live_under_its_area():
    everyone = recipients("community", "jingxiang")
    assert everyone and all(p.unit and p.sms for p in everyone)
    building = recipients("building", "jingxiang-b05")
    assert building and {p.unit.rsplit("-", 1)[0] for p in building} == {"jingxiang-b05"}
    assert not recipients("building", "jingxiang-b9")  # b9 is not b09 (nor b09's prefix)


def test_two_weeks_hold_each_new_act(two_weeks):
    agenda = Written()
    Pact(None, Random("19:pact")).schedule(two_weeks, agenda)
    PropertyEvaluation(None, Random("19:property"), lives=None).schedule(two_weeks, agenda)
    Notices(None, Random("19:notices"), sink=None).schedule(two_weeks, agenda)
    for name in ("pact observation", "property companies", "property ballot", "notice"):
        assert agenda.named(name), name
        assert all(two_weeks.starts <= when < two_weeks.closing for when, _ in agenda.named(name))
    ballots = agenda.named("property ballot")
    assert any(act.args[1] for _, act in ballots), "one tries a second ballot"
    closing_work = [name for name, _ in agenda.at_the_end]
    assert closing_work == ["pact list", *["paper ballots"] * 3, "property close"]
    # a loaded run may shed what starts a story, never what others depend on
    assert agenda.arrivals == {"pact observation", "property ballot"}
