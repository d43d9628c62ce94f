"""Facts, day totals and summaries: plain Python, no I/O."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.metrics.domain import (
    ALL,
    MEASURE_OF_EVENT,
    MEASURES,
    DayTotals,
    Fact,
    day_id,
    days_between,
    fact_of,
    local_day,
    summarise,
)
from services.metrics.schemas import MAX_RANGE_DAYS, SummaryQuery

DAY = date(2026, 3, 6)
AT = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)  # 10:00 in Changsha


def fact(event_type: str, category: str = "facility.lighting", n: int = 0, **payload) -> Fact:
    found = fact_of(
        f"E-{event_type}-{category}-{n}",
        event_type,
        AT,
        {"community_id": "jingxiang", "category": category, **payload},
    )
    assert found is not None
    return found


def totals(*facts: Fact) -> DayTotals:
    return DayTotals("jingxiang", DAY).fold(facts)


# Facts


def test_a_day_is_addressed_by_community_and_date():
    assert day_id("jingxiang", DAY) == "jingxiang:2026-03-06"
    assert totals().id == "jingxiang:2026-03-06"
    assert fact("case.reported").partition == "jingxiang:2026-03-06"


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        (datetime(2026, 3, 5, 15, 59, tzinfo=UTC), date(2026, 3, 5)),
        (datetime(2026, 3, 5, 16, 0, tzinfo=UTC), date(2026, 3, 6)),
        (datetime(2026, 3, 5, 23, 30, tzinfo=UTC), date(2026, 3, 6)),
        (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_a_fact_counts_on_the_communitys_calendar_day(utc, day):
    assert local_day(utc) == day


@pytest.mark.parametrize(("event_type", "measure"), sorted(MEASURE_OF_EVENT.items()))
def test_each_event_adds_its_own_measure_overall_and_for_its_category(event_type, measure):
    cells = dict(fact(event_type, on_time=True).cells)
    expected = {(*ALL, measure): 1, ("category", "facility.lighting", measure): 1}
    if event_type == "case.resolved":
        expected[(*ALL, "resolved_on_time")] = 1
        expected[("category", "facility.lighting", "resolved_on_time")] = 1
    assert cells == expected


@pytest.mark.parametrize("payload", [{"on_time": False}, {}])
def test_a_late_or_unknown_resolution_is_not_counted_on_time(payload):
    cells = fact("case.resolved", **payload).cells
    assert cells[(*ALL, "resolved")] == 1
    assert (*ALL, "resolved_on_time") not in cells


def test_an_event_metrics_does_not_count_has_no_fact():
    assert fact_of("E-1", "case.commented", AT, {"community_id": "c", "category": "x"}) is None


def test_folding_leaves_the_original_totals_alone():
    before = totals(fact("case.reported"))
    after = before.fold([fact("case.reported", n=1)])
    assert before.cells[(*ALL, "reported")] == 1
    assert after.cells[(*ALL, "reported")] == 2


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(MEASURE_OF_EVENT)), st.booleans(), st.integers(0, 3)),
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_any_order_and_any_split_into_batches_folds_to_the_same_totals(events, rng: random.Random):
    facts = [
        fact(kind, "civility.pets", n, on_time=on_time)
        for n, (kind, on_time, _) in enumerate(events)
    ]
    at_once = totals(*facts)
    shuffled = facts[:]
    rng.shuffle(shuffled)
    in_batches = DayTotals("jingxiang", DAY)
    while shuffled:
        size = rng.randint(1, 5)
        in_batches, shuffled = in_batches.fold(shuffled[:size]), shuffled[size:]
    assert dict(in_batches.cells) == dict(at_once.cells)
    summary = summarise([at_once])["totals"]
    assert sum(summary[measure] for measure in MEASURE_OF_EVENT.values()) == len(events)


# Summaries


def test_a_summary_totals_rates_and_breaks_down_by_category():
    day = totals(
        fact("case.reported", n=1),
        fact("case.reported", n=2),
        fact("case.resolved", on_time=True),
        fact("case.reported", "civility.pets", n=1),
        fact("case.reported", "civility.pets", n=2),
        fact("case.resolved", "civility.pets", on_time=False),
    )
    summary = summarise([day])
    assert summary["totals"]["reported"] == 4
    assert summary["totals"]["resolved"] == 2
    assert summary["totals"]["resolved_on_time"] == 1
    assert summary["open"] == 2
    assert summary["resolution_rate"] == 0.5
    assert summary["on_time_rate"] == 0.5
    assert list(summary["by_category"]) == ["civility.pets", "facility.lighting"]
    assert summary["by_category"]["civility.pets"] == {"reported": 2, "resolved": 1}


def test_the_field_notes_numbers_give_a_rate_rounded_to_four_places():
    day = DayTotals(
        "jingxiang",
        DAY,
        {(*ALL, "reported"): 57, (*ALL, "resolved"): 51, (*ALL, "resolved_on_time"): 51},
    )
    summary = summarise([day])
    assert summary["resolution_rate"] == 0.8947  # 51 / 57 = 0.894736...
    assert summary["on_time_rate"] == 1.0
    assert summary["open"] == 6


def test_days_of_one_category_add_up():
    later = DayTotals(
        "jingxiang", DAY + timedelta(days=1), {("category", "facility.lighting", "reported"): 3}
    )
    summary = summarise([totals(fact("case.reported", n=1), fact("case.reported", n=2)), later])
    assert summary["by_category"]["facility.lighting"]["reported"] == 5


def test_an_empty_summary_has_every_measure_at_zero_and_no_rates():
    summary = summarise([])
    assert summary["totals"] == dict.fromkeys(MEASURES, 0)
    assert summary["open"] == 0
    assert summary["resolution_rate"] is None
    assert summary["on_time_rate"] is None
    assert summary["by_category"] == {}


def test_the_on_time_rate_is_none_when_nothing_is_resolved():
    summary = summarise([totals(fact("case.reported"))])
    assert summary["resolution_rate"] == 0.0
    assert summary["on_time_rate"] is None


def test_a_period_lists_every_day_once_both_ends_included():
    assert days_between(DAY, DAY) == [DAY]
    assert days_between(DAY, DAY + timedelta(days=2)) == [
        DAY,
        DAY + timedelta(days=1),
        DAY + timedelta(days=2),
    ]


# The summary query


def between(since: str, until: str) -> dict:
    return {"community_id": "jingxiang", "from": since, "to": until}


def test_a_range_loads_from_and_to():
    query = SummaryQuery().load(between("2026-01-01", "2026-03-31"))
    assert (query["since"], query["until"]) == (date(2026, 1, 1), date(2026, 3, 31))


def test_from_after_to_is_refused_on_from():
    with pytest.raises(ValidationError) as refused:
        SummaryQuery().load(between("2026-03-02", "2026-03-01"))
    assert "from" in refused.value.messages


def test_a_range_of_366_days_is_allowed_and_one_more_is_refused():
    start = date(2025, 1, 1)
    longest = (start + timedelta(days=MAX_RANGE_DAYS)).isoformat()
    too_long = (start + timedelta(days=MAX_RANGE_DAYS + 1)).isoformat()
    SummaryQuery().load(between(start.isoformat(), longest))
    with pytest.raises(ValidationError) as refused:
        SummaryQuery().load(between(start.isoformat(), too_long))
    assert "to" in refused.value.messages
    assert MAX_RANGE_DAYS == 366


def test_a_bad_date_is_a_field_error_not_a_crash():
    with pytest.raises(ValidationError) as refused:
        SummaryQuery().load(between("yesterday", "2026-03-01"))
    assert "from" in refused.value.messages


def test_a_community_is_required():
    with pytest.raises(ValidationError) as refused:
        SummaryQuery().load({"from": "2026-03-01", "to": "2026-03-02"})
    assert "community_id" in refused.value.messages
