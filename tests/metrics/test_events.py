"""The events metrics reads (events.py, from lianxin.contracts): tolerant of what
producers do not send yet, strict on what would corrupt a count. Plain Python, no I/O."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from lianxin.contracts.cases import CASES
from services.metrics.domain.measures import facts_of
from services.metrics.events import READS
from tests.metrics.sequences import SHANGHAI, lifecycle


def test_every_event_of_a_lifecycle_reads_back_as_published():
    for event in lifecycle():
        read = READS.read(event.message())
        assert read.payload["community_id"] == "jingxiang"
        assert read.payload.get("state") == event.payload["state"]


def test_an_about_block_with_only_the_case_and_its_community_is_counted():
    minimal = lifecycle()[0].message()
    minimal["payload"] = {"case_id": "LX-1", "community_id": "jingxiang"}
    read = READS.read(minimal)
    assert read.payload.get("grid_id") is None  # absent: the count goes without it
    facts = facts_of(read.event_id, read.type, read.occurred_at, read.payload, lambda _: SHANGHAI)
    assert facts and all(fact.partition.community_id == "jingxiang" for fact in facts)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"community_id": None}, "community_id"),
        ({"rating": 6}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"reported_at": "yesterday"}, "reported_at"),
        ({"which": "lunch"}, "which"),
    ],
)
def test_what_would_corrupt_a_count_is_refused(change, field):
    # the last event of the lifecycle whose contract carries the field
    carrying = [e for e in lifecycle() if field in CASES.schema(e.type).fields]
    bad = carrying[-1].message()
    bad["payload"] |= change
    with pytest.raises(ValidationError) as refused:
        READS.read(bad)
    assert field in refused.value.messages


def test_an_event_type_metrics_does_not_count_is_left_alone():
    unknown = lifecycle()[0].message() | {"type": "case.commented"}
    assert READS.read_if_known(unknown) is None
