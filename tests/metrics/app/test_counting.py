"""Counting a message as the consumer hands it over (app/counting.py). Plain Python: the
facts are collected instead of batched into a store."""

from __future__ import annotations

from services.metrics.app.counting import count_message
from tests.metrics.sequences import SHANGHAI, lifecycle


def test_a_message_is_read_as_the_service_reads_it_and_its_facts_counted():
    event = lifecycle()[0]
    counted: list = []
    assert count_message(counted.extend, lambda _: SHANGHAI, event.message()) == 2
    assert counted == event.facts()


def test_a_message_of_a_type_metrics_does_not_count_is_left_alone():
    unknown = lifecycle()[0].message() | {"type": "case.commented"}
    counted: list = []
    assert count_message(counted.extend, lambda _: SHANGHAI, unknown) == 0
    assert counted == []
