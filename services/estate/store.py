"""The estate repository: every hot path reads and writes by `_id`.

The household register:
  households/<community>:<household>   a Household (domain.households); its id is unique
                                       within its community only, hence the prefix
  household_phones/<community>:<digest> the households a number (as its keyed digest) is
                                       on: a resident who proves a number finds their
                                       household by one read, never a scan
Both are changed under their lease (lianxin.store.typed), by an import only; a listing of
a community's register is the one filtered query (by community, in `_id` order).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import ASCENDING

from lianxin.store.aggregates import recover_all
from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, AggregateChange, Aggregates, Codec
from services.estate.domain.households import Household, household_document, household_from

HOUSEHOLDS: Codec[Household] = Codec(household_document, household_from)
LISTING_LIMIT = 200


class EstateStore:
    """Estate's aggregates: `households` (Household) and `phones` (the phone index, plain
    documents `{"households": [<household id>, ...]}`)."""

    def __init__(self, context: StoreContext):
        self.db = context.db
        self.households = Aggregates(context, "households", HOUSEHOLDS)
        self.phones = Aggregates(context, "household_phones", DOCUMENTS)

    def ensure_indexes(self) -> None:
        """One index per filtered query (listings; none on a hot path)."""
        self.db["households"].create_index([("community_id", ASCENDING), ("_id", ASCENDING)])

    def recover(self) -> int:
        return recover_all(aggregates.store for aggregates in (self.households, self.phones))

    @contextmanager
    def household_change(self, key: str) -> Iterator[AggregateChange[Household]]:
        with self.households.change(key) as change:
            yield change

    def register_page(
        self, community_id: str, after: str | None, limit: int = LISTING_LIMIT
    ) -> list[Household]:
        """A community's households in id order, the page after `after` (a household id)."""
        where: dict[str, Any] = {"community_id": community_id}
        if after:
            where["_id"] = {"$gt": f"{community_id}:{after}"}
        return self.households.query(where, sort=[("_id", ASCENDING)], limit=limit)
