"""The pact's rules (services.estate.domain.pact): versioned articles, the household's
window to answer, staff's decision after it, and the quarter an observation counts in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lianxin.quarters import NotAQuarter
from services.estate.domain import pact
from services.estate.domain.pact import Article, Pact, Place

MADE = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 on 2 November in Changsha
ZONE = "Asia/Shanghai"
WEEK = timedelta(days=7)
PLACE = Place("jingxiang-b01-u1-1201", "jingxiang-b01", "1栋", "jingxiang-b01-u1", "1栋1单元",
              "1201")  # fmt: skip


def sample_pact() -> Pact:
    articles = (
        Article(1, 1, "楼道畅通", "楼道不堆放杂物。", MADE - timedelta(days=300), "p-staff-1"),
        Article(2, 1, "爱护绿地", "不在绿地种菜。", MADE - timedelta(days=300), "p-staff-1"),
    )
    return Pact("jingxiang-e1", "jingxiang", articles)


def observation(kind: str = "breach", at: datetime = MADE, **more) -> pact.Observation:
    made = pact.observed(
        observation_id="PO-0123456789abcdef", pact=sample_pact(), article_number=1,
        place=PLACE, kind=kind, seen="楼道堆放纸箱", seen_at=at - timedelta(hours=1),
        photos=("P-1",), by="p-ul-001", role="unit_leader", now=at, answer_window=WEEK,
        zone=ZONE, published=frozenset(),
    )  # fmt: skip
    return replace(made, **more)


def test_an_edit_is_a_new_version_and_the_old_one_is_kept():
    edited = pact.edited(sample_pact(), 1, "楼道畅通", "楼道和消防通道不堆放杂物。", "p-staff-2",
                         MADE)  # fmt: skip
    assert edited.article(1).version == 2
    assert edited.article(1, version=1).text == "楼道不堆放杂物。"
    assert [(a.number, a.version) for a in edited.current()] == [(1, 2), (2, 1)]


def test_an_edit_saying_the_same_makes_no_version():
    with pytest.raises(pact.ArticleUnchanged):
        pact.edited(sample_pact(), 2, "爱护绿地", "不在绿地种菜。", "p-staff-2", MADE)


def test_a_new_article_takes_the_next_number_and_no_other():
    added = pact.edited(sample_pact(), 3, "文明养犬", "遛狗牵绳。", "p-staff-2", MADE)
    assert added.article(3).version == 1
    with pytest.raises(pact.PactNotFound):
        pact.edited(sample_pact(), 5, "有序停车", "不占消防通道。", "p-staff-2", MADE)


def test_an_observation_names_the_version_it_was_made_under_after_an_edit():
    made = observation()
    edited = pact.edited(sample_pact(), 1, "楼道畅通", "新的条文。", "p-staff-2", MADE)
    later = pact.observed(
        observation_id="PO-2", pact=edited, article_number=1, place=PLACE, kind="breach",
        seen="电动车停在楼道", seen_at=MADE, photos=(), by="p-staff-1", role="staff",
        now=MADE + timedelta(days=1), answer_window=WEEK, zone=ZONE, published=frozenset(),
    )  # fmt: skip
    assert (made.article_number, made.article_version) == (1, 1)
    assert (later.article_number, later.article_version) == (1, 2)


def test_the_window_runs_from_the_recording():
    made = observation()
    assert made.answer_until == MADE + timedelta(days=7)
    assert pact.state_of(made, MADE + timedelta(days=7) - timedelta(seconds=1)) == "open"
    assert pact.state_of(made, MADE + timedelta(days=7)) == "stood"


def test_an_answer_inside_the_window_waits_for_staff():
    made = pact.answered(observation(), "纸箱是临时放的，已搬走。", "", MADE + timedelta(days=1))
    assert pact.state_of(made, MADE + timedelta(days=2)) == "open"
    assert pact.state_of(made, MADE + timedelta(days=8)) == "to_decide"


def test_an_answer_after_the_window_is_refused():
    with pytest.raises(pact.WindowClosed):
        pact.answered(observation(), "晚了", "", MADE + timedelta(days=7))


def test_a_second_answer_is_refused_and_a_repeat_is_the_stored_one():
    once = pact.answered(observation(), "已搬走", "", MADE + timedelta(days=1))
    assert pact.answered(once, "已搬走", "", MADE + timedelta(days=2)) is once
    with pytest.raises(pact.AlreadyAnswered):
        pact.answered(once, "改口", "", MADE + timedelta(days=2))


def test_a_surname_is_only_kept_on_a_commendation():
    breach = pact.answered(observation("breach"), "好的", "王", MADE + timedelta(days=1))
    praise = pact.answered(observation("commendation"), "谢谢", "王", MADE + timedelta(days=1))
    assert breach.answer.surname == ""
    assert praise.answer.surname == "王"


def test_staff_decide_only_after_the_window():
    made = observation()
    with pytest.raises(pact.WindowOpen):
        pact.decided(made, "upheld", "", "p-staff-1", MADE + timedelta(days=6), frozenset())
    kept = pact.decided(made, "withdrawn", "看错了", "p-staff-1", MADE + timedelta(days=8),
                        frozenset())  # fmt: skip
    assert pact.state_of(kept, MADE + timedelta(days=9)) == "withdrawn"


def test_a_decision_is_taken_once():
    kept = pact.decided(observation(), "upheld", "", "p-staff-1", MADE + timedelta(days=8),
                        frozenset())  # fmt: skip
    assert pact.decided(kept, "upheld", "", "p-staff-2", MADE + timedelta(days=9),
                        frozenset()) is kept  # fmt: skip
    with pytest.raises(pact.AlreadyDecided):
        pact.decided(kept, "withdrawn", "", "p-staff-2", MADE + timedelta(days=9), frozenset())


def test_a_published_quarter_takes_no_observation_and_no_decision():
    with pytest.raises(pact.QuarterPublished):
        pact.observed(
            observation_id="PO-3", pact=sample_pact(), article_number=1, place=PLACE,
            kind="breach", seen="x", seen_at=MADE, photos=(), by="p-staff-1", role="staff",
            now=MADE, answer_window=WEEK, zone=ZONE, published=frozenset({"2026-Q4"}),
        )  # fmt: skip
    with pytest.raises(pact.QuarterPublished):
        pact.decided(observation(), "upheld", "", "p-staff-1", MADE + timedelta(days=8),
                     frozenset({"2026-Q4"}))  # fmt: skip


def seen_at(at: datetime, published: frozenset[str] = frozenset()) -> pact.Observation:
    return pact.observed(
        observation_id="PO-5", pact=sample_pact(), article_number=1, place=PLACE,
        kind="breach", seen="x", seen_at=at, photos=(), by="p-staff-1", role="staff",
        now=at, answer_window=WEEK, zone=ZONE, published=published,
    )  # fmt: skip


def test_an_observation_counts_in_the_communitys_local_quarter():
    # 23:30 on 31 December in Changsha is Q4; 00:30 on 1 January there is Q1 of the next
    # year while UTC is still in Q4: the published Q4 does not refuse it
    assert seen_at(datetime(2026, 12, 31, 15, 30, tzinfo=UTC)).quarter == "2026-Q4"
    late = seen_at(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), frozenset({"2026-Q4"}))
    assert late.quarter == "2027-Q1"


def test_something_seen_before_any_quarter_of_ours_is_refused_as_bad_input():
    with pytest.raises(NotAQuarter):  # estate's error table: 400, not a 500
        seen_at(datetime(1999, 12, 31, 12, tzinfo=UTC))


def test_something_seen_later_than_now_is_refused():
    with pytest.raises(pact.SeenInFuture):
        pact.observed(
            observation_id="PO-4", pact=sample_pact(), article_number=1, place=PLACE,
            kind="breach", seen="x", seen_at=MADE + timedelta(minutes=1), photos=(),
            by="p-staff-1", role="staff", now=MADE, answer_window=WEEK, zone=ZONE,
            published=frozenset(),
        )  # fmt: skip

