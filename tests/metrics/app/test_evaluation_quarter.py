"""The evaluation's quarter: named `2026-Q4` in the query and the answer (lianxin/quarters.py),
this quarter in the community's zone when none is asked. Plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from lianxin.access.actors import Actor
from services.metrics.app import stats
from services.metrics.app.zones import ZoneBook
from services.metrics.compose import load_policy
from tests.metrics.domain.test_measures import area
from tests.metrics.gauges.test_collector import FoldedStore
from tests.metrics.sequences import SHANGHAI, Folded

READER = Actor("k-1", "reader", frozenset({"read"}), frozenset({"jingxiang"}))
NEW_YEAR = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January in Shanghai
QUERY = {"community_id": "jingxiang", "of": "grid"}


def evaluation(query: dict) -> tuple[str, str, str]:
    folded = Folded().fold([area("jingxiang", "community", 1, 5926, timezone="Asia/Shanghai")])
    store = FoldedStore(folded)
    found = stats.evaluation(store, ZoneBook(store, SHANGHAI), load_policy(), READER, query,
                             NEW_YEAR)  # fmt: skip
    assert "year" not in found  # one name: the quarter carries its year
    return found["quarter"], found["from"], found["to"]


def test_by_default_the_evaluation_is_of_this_quarter_in_the_communitys_zone():
    assert evaluation(QUERY) == ("2027-Q1", "2027-01-01", "2027-03-31")  # UTC: still 2026-Q4


def test_a_quarter_asked_by_its_name_is_evaluated_over_its_days():
    assert evaluation(QUERY | {"quarter": "2026-Q4"}) == ("2026-Q4", "2026-10-01", "2026-12-31")
