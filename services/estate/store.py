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

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pymongo import ASCENDING

from lianxin.photos import PhotoParts
from lianxin.store.aggregates import recover_all
from lianxin.store.documents import document_of
from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, AggregateChange, Aggregates, Codec
from services.estate.domain.households import Household, household_document, household_from
from services.estate.domain.pact import Answer, Article, Decision, Observation, Pact, Place
from services.estate.domain.pact_list import ListLine, PactList, PactRules

HOUSEHOLDS: Codec[Household] = Codec(household_document, household_from)
LISTING_LIMIT = 200


class EstateStore:
    """Estate's aggregates: `households` (Household) and `phones` (the phone index, plain
    documents `{"households": [<household id>, ...]}`)."""

    def __init__(self, context: StoreContext):
        self.db = context.db
        self.households = Aggregates(context, "households", HOUSEHOLDS)
        self.phones = Aggregates(context, "household_phones", DOCUMENTS)
        self.pact = PactStore(context)  # -- pact --: its collections, below

    def ensure_indexes(self) -> None:
        """One index per filtered query (listings; none on a hot path)."""
        self.db["households"].create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        self.pact.ensure_indexes()

    def recover(self) -> int:
        kept = (self.households, self.phones, *self.pact.kept())
        return recover_all(aggregates.store for aggregates in kept)

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


# -- pact --

PACT_LISTING_LIMIT = 500  # a quarter's observations of one community, and more than enough


class PactStore:
    """The residents' pact (app/pact.py), every hot read by `_id`:
      pacts/<estate>                    an estate's Pact, every version of every article
                                        (none stored until staff first edit it)
      pact_observations/<id>            an Observation, changed under its lease
      pact_lists/<community>:<quarter>  a published PactList, written once, with its event
      pact_photos/<id>                  a photo's record (plain document); its bytes in
      pact_photo_parts/<id>:<variant>:<n>  parts (lianxin.photos.PhotoParts)
      pact_places/<area code>           roster's areas as `area.changed` tells them: kind,
                                        name, parent, community, unit leader, zone
    Listings (filtered, each with its index): a quarter's observations (community_id,
    quarter, _id), a household's (community_id, household_id, _id), a recorder's
    (recorded_by, _id), and a community's estates (community_id, kind, _id)."""

    def __init__(self, context: StoreContext):
        self.db = context.db
        self.pacts = Aggregates(context, "pacts", PACTS)
        self.observations = Aggregates(context, "pact_observations", OBSERVATIONS)
        self.lists = Aggregates(context, "pact_lists", PACT_LISTS)
        self.photos = Aggregates(context, "pact_photos", DOCUMENTS)
        self.photo_parts = PhotoParts(context.db["pact_photo_parts"])
        self.places = Aggregates(context, "pact_places", DOCUMENTS)

    def ensure_indexes(self) -> None:
        observations = self.db["pact_observations"]
        observations.create_index(
            [("community_id", ASCENDING), ("quarter", ASCENDING), ("_id", ASCENDING)]
        )
        observations.create_index(
            [("community_id", ASCENDING), ("place.household_id", ASCENDING), ("_id", ASCENDING)]
        )
        observations.create_index([("recorded_by", ASCENDING), ("_id", ASCENDING)])
        self.db["pact_places"].create_index(
            [("community_id", ASCENDING), ("kind", ASCENDING), ("_id", ASCENDING)]
        )

    def kept(self) -> tuple[Aggregates, ...]:
        return (self.pacts, self.observations, self.lists, self.photos, self.places)

    def observations_of(self, limit: int = PACT_LISTING_LIMIT, **match: str) -> list[Observation]:
        """Index (community_id, quarter, _id), (community_id, place.household_id, _id) or
        (recorded_by, _id): a quarter's, a household's or a recorder's observations."""
        where = {("place.household_id" if k == "household_id" else k): v for k, v in match.items()}
        return self.observations.query(where, sort=[("_id", ASCENDING)], limit=limit)

    def estates_of(self, community_id: str) -> list[dict[str, Any]]:
        """Index (community_id, kind, _id): the community's estates, as roster named them."""
        where = {"community_id": community_id, "kind": "estate"}
        return self.places.query(where, sort=[("_id", ASCENDING)], limit=PACT_LISTING_LIMIT)


def pact_document(pact: Pact) -> dict[str, Any]:
    return {"community_id": pact.community_id, "versions": document_of(pact.versions)}


def pact_from(document: Mapping[str, Any]) -> Pact:
    versions = tuple(Article(**found) for found in document["versions"])
    return Pact(document["_id"], document["community_id"], versions)


def observation_document(observation: Observation) -> dict[str, Any]:
    document = {k: v for k, v in document_of(observation).items() if k != "id"}
    return {**document, "photos": list(observation.photos)}


def observation_from(document: Mapping[str, Any]) -> Observation:
    answer, decision = document.get("answer"), document.get("decision")
    fields = {k: v for k, v in document.items() if k not in ("_id", "place", "answer", "decision")}
    return Observation(
        **{**fields, "photos": tuple(document.get("photos") or ())},
        id=document["_id"],
        place=Place(**document["place"]),
        answer=Answer(**answer) if answer else None,
        decision=Decision(**decision) if decision else None,
    )


def pact_list_document(found: PactList) -> dict[str, Any]:
    document = {k: v for k, v in document_of(found).items() if k not in ("articles", "rules")}
    rules = {**document_of(found.rules), "answer_window": found.rules.answer_window.total_seconds()}
    # BSON keys are strings, and FerretDB takes no nested arrays: {number, title} each
    articles = [{"number": n, "title": title} for n, title in found.articles.items()]
    return {**document, "rules": rules, "articles": articles}


def pact_list_from(document: Mapping[str, Any]) -> PactList:
    def lines(kind: str) -> tuple[ListLine, ...]:
        return tuple(
            ListLine(**{**line, "articles": tuple(line["articles"])}) for line in document[kind]
        )

    rules = document["rules"]
    return PactList(
        community_id=document["community_id"],
        quarter=document["quarter"],
        black=lines("black"),
        red=lines("red"),
        rules=PactRules(**{**rules, "answer_window": timedelta(seconds=rules["answer_window"])}),
        articles={int(found["number"]): found["title"] for found in document["articles"]},
        published_by=document["published_by"],
        published_at=document["published_at"],
    )


PACTS: Codec[Pact] = Codec(pact_document, pact_from)
OBSERVATIONS: Codec[Observation] = Codec(observation_document, observation_from)
PACT_LISTS: Codec[PactList] = Codec(pact_list_document, pact_list_from)
