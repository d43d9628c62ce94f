"""The property company's ballots (services.estate.domain.property_ballots): what a ballot
may say, how online and paper ballots add up to the satisfaction rate, one ballot per
household, and the paper-ballot record that is entered once and corrected by reversal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.estate.domain.property_ballots import (
    ASPECTS,
    SATISFACTION,
    Ballot,
    BallotRefused,
    NothingToCorrect,
    OfflineAlreadyEntered,
    Tally,
    correct_offline,
    enter_offline,
    offline_total,
    standing_entry,
    vote_id,
)

AT = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def ballot(overall: str = "satisfied", **aspects: str) -> Ballot:
    return Ballot.of(overall, {aspect: aspects.get(aspect, overall) for aspect in ASPECTS})


def counted(satisfied: int, basically: int, dissatisfied: int) -> Tally:
    overall = {"satisfied": satisfied, "basically_satisfied": basically,
               "dissatisfied": dissatisfied}  # fmt: skip
    return Tally.counted(overall, dict.fromkeys(ASPECTS, overall))


def test_a_ballot_answers_every_question_with_one_of_three_answers():
    with pytest.raises(BallotRefused) as refused:
        Ballot.of("happy", {"cleaning": "satisfied", "lift": "satisfied"}, "x" * 501)
    assert set(refused.value.fields) == {"overall", "security", "repairs", "green_space",
                                         "aspects", "comment"}  # fmt: skip


def test_satisfaction_counts_satisfied_and_basically_satisfied_ballots():
    tally = Tally.of_ballots([ballot("satisfied"), ballot("basically_satisfied"),
                              ballot("dissatisfied", cleaning="satisfied")])  # fmt: skip
    assert tally.ballots == 3
    assert tally.satisfaction == pytest.approx(2 / 3)
    assert tally.aspect_satisfaction("cleaning") == 1.0
    assert tally.aspect_satisfaction("security") == pytest.approx(2 / 3)
    assert Tally().satisfaction is None


def test_online_and_paper_ballots_add_up_answer_by_answer():
    online = Tally.of_ballots([ballot("dissatisfied")] * 3)
    paper = counted(5, 1, 1)
    together = online + paper
    assert together.ballots == 10
    assert together.overall == {"satisfied": 5, "basically_satisfied": 1, "dissatisfied": 4}
    assert together.satisfaction == pytest.approx(0.6)


@given(st.lists(st.sampled_from(SATISFACTION), max_size=40))
def test_a_tally_and_its_negation_add_up_to_nothing(answers):
    tally = Tally.of_ballots(ballot(answer) for answer in answers)
    assert (tally + tally.negated()) == Tally()
    assert tally.ballots == len(answers)


def test_paper_counts_are_whole_numbers_and_no_aspect_outnumbers_the_ballots():
    overall = {"satisfied": 3, "basically_satisfied": 0, "dissatisfied": 0}
    with pytest.raises(BallotRefused) as refused:
        Tally.counted({**overall, "dissatisfied": -1}, dict.fromkeys(ASPECTS, overall))
    assert "overall.dissatisfied" in refused.value.fields
    with pytest.raises(BallotRefused) as refused:
        Tally.counted({**overall, "satisfied": 2.5}, dict.fromkeys(ASPECTS, overall))
    assert "overall.satisfied" in refused.value.fields
    more = {**overall, "dissatisfied": 1}
    with pytest.raises(BallotRefused) as refused:
        Tally.counted(overall, {**dict.fromkeys(ASPECTS, overall), "repairs": more})
    assert refused.value.fields == {"repairs": "no more answers than ballots"}
    with pytest.raises(BallotRefused):
        Tally.counted(dict.fromkeys(SATISFACTION, 0), dict.fromkeys(ASPECTS, overall))
    blank = {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 0}
    assert Tally.counted(overall, dict.fromkeys(ASPECTS, blank)).ballots == 3


def test_one_ballot_id_per_household_whichever_phone_votes():
    first = vote_id("jingxiang", "jingxiang-e1", "2026-Q4", "H-0001")
    assert first == vote_id("jingxiang", "jingxiang-e1", "2026-Q4", "H-0001")
    assert first != vote_id("jingxiang", "jingxiang-e1", "2027-Q1", "H-0001")
    assert first != vote_id("jingxiang", "jingxiang-e2", "2026-Q4", "H-0001")


def test_paper_ballots_are_entered_once():
    entries = enter_offline((), counted(40, 10, 5), "p-staff-1", AT)
    with pytest.raises(OfflineAlreadyEntered):
        enter_offline(entries, counted(1, 0, 0), "p-staff-2", AT)


def test_a_correction_reverses_the_entry_with_its_reason_and_enters_the_new_counts():
    entries = enter_offline((), counted(40, 10, 5), "p-staff-1", AT)
    corrected = correct_offline(entries, counted(4, 10, 5), " typed 40 for 4 ", "p-staff-2", AT)
    assert [(e.seq, e.reverses, e.tally.ballots) for e in corrected] == [
        (1, None, 55),
        (2, 1, -55),
        (3, None, 19),
    ]
    assert corrected[1].reason == "typed 40 for 4"
    assert offline_total(corrected) == counted(4, 10, 5)
    assert standing_entry(corrected).seq == 3
    twice = correct_offline(corrected, counted(5, 10, 5), "one more found", "p-staff-1", AT)
    assert offline_total(twice) == counted(5, 10, 5)
    assert twice[-2].reverses == 3


def test_a_correction_needs_an_entry_and_a_reason():
    with pytest.raises(NothingToCorrect):
        correct_offline((), counted(1, 0, 0), "why", "p-staff-1", AT)
    entries = enter_offline((), counted(1, 0, 0), "p-staff-1", AT)
    with pytest.raises(BallotRefused) as refused:
        correct_offline(entries, counted(2, 0, 0), "  ", "p-staff-1", AT)
    assert set(refused.value.fields) == {"reason"}
