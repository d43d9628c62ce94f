"""The pact's documents on every backend (memory, FerretDB, MongoDB when given): a pact with
its versions, an observation answered and decided, and a published list read back as they
were written — FerretDB takes no nested arrays, so each shape is held to it here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.estate.domain import pact
from services.estate.domain.pact import Answer, Decision
from services.estate.domain.pact_list import ListLine, PactList, PactRules
from services.estate.store import EstateStore
from tests.estate.domain.test_pact import observation, sample_pact

AT = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def test_the_pacts_documents_read_back_as_written(backend):
    store = EstateStore(backend.context("estate")).pact
    edited = pact.edited(sample_pact(), 1, "楼道畅通", "新条文", "p-staff-2", AT)
    seen = replace(observation(), answer=Answer("已搬走", AT, ""),
                   decision=Decision("upheld", "", "p-staff-1", AT))  # fmt: skip
    published = PactList(
        "jingxiang", "2026-Q4", (ListLine("1栋", "1栋1单元", "12**", 2, (1, 3)),),
        (ListLine("2栋", "2栋3单元", "5**", 1, (12,), "欧阳"),),
        PactRules(answer_window=timedelta(seconds=60)), {1: "楼道畅通", 3: "文明养犬"},
        "p-staff-1", AT,
    )  # fmt: skip
    for kept, key, value in (
        (store.pacts, edited.estate_id, edited),
        (store.observations, seen.id, seen),
        (store.lists, published.id, published),
    ):
        with kept.change(key) as change:
            change.save(value)
        assert kept.get(key) == value
    found = store.observations_of(community_id="jingxiang", household_id=seen.household_id)
    assert found == [seen]
