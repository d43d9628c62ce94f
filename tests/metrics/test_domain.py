"""Counting case facts into day buckets and summarising them: plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.metrics.domain import (
    MEASURE_OF_EVENT,
    MEASURES,
    Bucket,
    bucket_id,
    count,
    local_day,
    summarise,
)
from services.metrics.schemas import MAX_RANGE_DAYS, SummaryQuery

DAY = date(2026, 3, 6)


def bucket(category: str = "facility.lighting", **counts: int) -> Bucket:
    return Bucket("jingxiang", DAY, category, counts)


def counted(category: str, *events: tuple[str, dict]) -> Bucket:
    result = bucket(category)
    for event_type, payload in events:
        result = count(result, event_type, payload)
    return result


# Buckets


def test_a_bucket_id_is_community_day_and_category():
    expected = "jingxiang:2026-03-06:facility.lighting"
    assert bucket_id("jingxiang", DAY, "facility.lighting") == expected
    assert bucket().id == expected


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
def test_each_event_increments_its_own_measure_only(event_type, measure):
    after = count(bucket(reported=2), event_type, {"on_time": True})
    expected = {"reported": 2}
    expected[measure] = expected.get(measure, 0) + 1
    if event_type == "case.resolved":
        expected["resolved_on_time"] = 1
    assert dict(after.counts) == expected


@pytest.mark.parametrize("payload", [{"on_time": False}, {}])
def test_a_late_or_unknown_resolution_is_not_counted_on_time(payload):
    after = count(bucket(), "case.resolved", payload)
    assert after.counts["resolved"] == 1
    assert after.counts.get("resolved_on_time", 0) == 0


def test_counting_leaves_the_original_bucket_alone():
    before = bucket(reported=1)
    after = count(before, "case.reported", {})
    assert before.counts == {"reported": 1}
    assert after.counts == {"reported": 2}
    assert after.id == before.id


# Summaries


def test_a_summary_totals_rates_and_breaks_down_by_category():
    lighting = counted(
        "facility.lighting",
        ("case.reported", {}),
        ("case.reported", {}),
        ("case.resolved", {"on_time": True}),
    )
    pets = counted(
        "civility.pets",
        ("case.reported", {}),
        ("case.reported", {}),
        ("case.resolved", {"on_time": False}),
    )
    summary = summarise([lighting, pets])
    assert summary["totals"]["reported"] == 4
    assert summary["totals"]["resolved"] == 2
    assert summary["totals"]["resolved_on_time"] == 1
    assert summary["open"] == 2
    assert summary["resolution_rate"] == 0.5
    assert summary["on_time_rate"] == 0.5
    assert list(summary["by_category"]) == ["civility.pets", "facility.lighting"]
    assert summary["by_category"]["civility.pets"] == {"reported": 2, "resolved": 1}


def test_the_field_notes_numbers_give_a_rate_rounded_to_four_places():
    summary = summarise([bucket(reported=57, resolved=51, resolved_on_time=51)])
    assert summary["resolution_rate"] == 0.8947  # 51 / 57 = 0.894736...
    assert summary["on_time_rate"] == 1.0
    assert summary["open"] == 6


def test_buckets_of_one_category_on_different_days_add_up():
    later = Bucket("jingxiang", DAY + timedelta(days=1), "facility.lighting", {"reported": 3})
    summary = summarise([bucket(reported=2), later])
    assert summary["by_category"]["facility.lighting"]["reported"] == 5


def test_an_empty_summary_has_every_measure_at_zero_and_no_rates():
    summary = summarise([])
    assert summary["totals"] == dict.fromkeys(MEASURES, 0)
    assert summary["open"] == 0
    assert summary["resolution_rate"] is None
    assert summary["on_time_rate"] is None
    assert summary["by_category"] == {}


def test_the_on_time_rate_is_none_when_nothing_is_resolved():
    summary = summarise([bucket(reported=3)])
    assert summary["resolution_rate"] == 0.0
    assert summary["on_time_rate"] is None


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(MEASURE_OF_EVENT)), st.booleans()),
        max_size=60,
    )
)
def test_counting_any_stream_of_facts_gives_consistent_totals(events):
    result = bucket()
    for event_type, on_time in events:
        result = count(result, event_type, {"on_time": on_time})
    totals = summarise([result])["totals"]
    assert sum(totals[measure] for measure in MEASURE_OF_EVENT.values()) == len(events)
    assert totals["resolved_on_time"] == sum(
        1 for event_type, on_time in events if event_type == "case.resolved" and on_time
    )


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
