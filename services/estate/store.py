"""The estate repository: every hot path reads and writes by `_id`.

The household register:
  households/<community>:<household>   a Household (domain.households); its id is unique
                                       within its community only, hence the prefix
  household_phones/<community>:<digest> the households a number (as its keyed digest) is
                                       on: a resident who proves a number finds their
                                       household by one read, never a scan
Both are changed under their lease (lianxin.store.typed), by an import only; a listing of
a community's register is a filtered query (by community, in `_id` order).

The estate fund (domain.fund):
  fund_settings/<community>            its zone, the month its year starts, each year's rates
  fund_payments/<payment id>           a payment or a reversal, written once with its
                                       `fund.payment_recorded` in its outbox
  fund_receipts/<community>:<receipt>  the payment a receipt number was given to (a unique
                                       insert: one receipt, one payment)
  fund_hours/<entry id>                a household member's ledger line from roster, inserted
                                       once (the unique `_id` is the idempotency)
  fund_eligibility/<community>:<household>:<year>  the windows it may pay in hours
A statement is computed when read, from the household's payments, lines and windows
(filtered by community and household); the year's statements from the community's.

The property company's evaluation (PropertyStore) and the residents' pact (PactStore)
below name their collections in their own docstrings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import timedelta
from typing import Any

from pymongo import ASCENDING

from lianxin.photos import PhotoParts
from lianxin.store.aggregates import recover_all
from lianxin.store.documents import document_of
from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, AggregateChange, Aggregates, Codec
from services.estate.domain.fund import (
    Eligibility,
    FundSettings,
    HoursLine,
    Payment,
    Window,
    YearRates,
)
from services.estate.domain.households import Household, household_document, household_from
from services.estate.domain.pact import Answer, Article, Decision, Observation, Pact, Place
from services.estate.domain.pact_list import ListLine, PactList, PactRules
from services.estate.domain.property_evaluation import Evaluation
from services.estate.domain.property_records import (
    CastBallot,
    Complaint,
    cast_document,
    cast_from,
    complaint_document,
    complaint_from,
    evaluation_document,
    evaluation_from,
    evaluation_id,
)

HOUSEHOLDS: Codec[Household] = Codec(household_document, household_from)


def _settings_document(settings: FundSettings) -> dict[str, Any]:
    years = {str(year): asdict(rates) for year, rates in settings.years.items()}
    return {"timezone": settings.timezone, "start_month": settings.start_month, "years": years}


def _settings_from(document: Mapping[str, Any]) -> FundSettings:
    years = {int(year): YearRates(**rates) for year, rates in document["years"].items()}
    return FundSettings(document["timezone"], int(document["start_month"]), years)


def _windows_from(document: Mapping[str, Any]) -> Eligibility:
    return Eligibility(tuple(Window(**window) for window in document["windows"]))


def eligibility_key(community_id: str, household_id: str, year: int) -> str:
    return f"{community_id}:{household_id}:{year}"


SETTINGS: Codec[FundSettings] = Codec(_settings_document, _settings_from)
PAYMENTS: Codec[Payment] = Codec(asdict, lambda d: Payment(**_fields(Payment, d)))
LINES: Codec[HoursLine] = Codec(asdict, lambda d: HoursLine(**_fields(HoursLine, d)))


def _fields(kind: type, document: Mapping[str, Any]) -> dict[str, Any]:
    return {f.name: document[f.name] for f in fields(kind) if f.name in document}


LISTING_LIMIT = 200


class EstateStore:
    """Estate's aggregates: `households` (Household) and `phones` (the phone index, plain
    documents `{"households": [<household id>, ...]}`)."""

    def __init__(self, context: StoreContext):
        self.db = context.db
        self.households = Aggregates(context, "households", HOUSEHOLDS)
        self.phones = Aggregates(context, "household_phones", DOCUMENTS)
        self.fund_settings = Aggregates(context, "fund_settings", SETTINGS)
        self.payments = Aggregates(context, "fund_payments", PAYMENTS)
        self.receipts = Aggregates(context, "fund_receipts", DOCUMENTS)
        self.hours = Aggregates(context, "fund_hours", LINES)
        self.eligibility = Aggregates(context, "fund_eligibility", DOCUMENTS)
        # -- property evaluation --
        self.property = PropertyStore(context, self)
        self.pact = PactStore(context)  # -- pact --: its collections, below

    def ensure_indexes(self) -> None:
        """One index per filtered query (listings; none on a hot path)."""
        self.db["households"].create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        for collection in ("fund_payments", "fund_hours"):
            self.db[collection].create_index(
                [("community_id", ASCENDING), ("household_id", ASCENDING)]
            )
        self.db["fund_payments"].create_index([("community_id", ASCENDING), ("year", ASCENDING)])
        self.db["fund_hours"].create_index([("community_id", ASCENDING)])
        self.db["fund_eligibility"].create_index([("community_id", ASCENDING), ("year", ASCENDING)])
        self.property.ensure_indexes()
        self.pact.ensure_indexes()

    def recover(self) -> int:
        kept = (
            self.households,
            self.phones,
            self.fund_settings,
            self.payments,
            self.receipts,
            self.hours,
            self.eligibility,
            *self.pact.kept(),
        )
        return recover_all(aggregates.store for aggregates in kept) + self.property.recover()

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

    # -- the fund's filtered reads (docs/store-queries.md) ----------------------------------

    def household_fund(
        self, community_id: str, household_id: str
    ) -> tuple[list[Payment], list[HoursLine]]:
        """Everything recorded for one household, every year: its payments and lines."""
        where = {"community_id": community_id, "household_id": household_id}
        return self.payments.query(where), self.hours.query(where)

    def community_fund(
        self, community_id: str, year: int
    ) -> tuple[list[Payment], list[HoursLine], dict[str, Eligibility]]:
        """The year's payments and windows of a community, and all its lines (a line's year
        is its anchor's, known only once its chain is read)."""
        payments = self.payments.query({"community_id": community_id, "year": year})
        lines = self.hours.query({"community_id": community_id})
        found = self.eligibility.collection.find({"community_id": community_id, "year": year})
        windows = {d["household_id"]: _windows_from(d) for d in found}
        return payments, lines, windows

    def windows(self, community_id: str, household_id: str, year: int) -> Eligibility:
        found = self.eligibility.get(eligibility_key(community_id, household_id, year))
        return _windows_from(found) if found else Eligibility()

    @contextmanager
    def windows_change(
        self, community_id: str, household_id: str, year: int
    ) -> Iterator[tuple[Eligibility, Any]]:
        """A household's windows for the year under their lease, and how to save new ones."""
        key = eligibility_key(community_id, household_id, year)
        with self.eligibility.change(key) as change:
            current = _windows_from(change.value) if change.value else Eligibility()

            def save(eligibility: Eligibility) -> None:
                change.save({
                    "community_id": community_id,
                    "household_id": household_id,
                    "year": year,
                    "windows": [asdict(window) for window in eligibility.windows],
                })  # fmt: skip

            yield current, save

# -- property evaluation --
# The property company's evaluation (物业考评):
#   property_evaluations/<community>:<estate>  an Evaluation: the company, each quarter's
#                                             paper ballots, frozen result and actions
#   property_ballots/<community>:<estate>:<quarter>:<household>
#                                             a household's one ballot (its unique insert)
#   property_complaints/<community>:<case>    a case counted against the company, once
#   property_settings/<community>             the community's thresholds, if staff set them
# Ballots and complaints are counted by filtered queries (by community, estate and
# quarter), and an estate's households by one on the register: the staff pages and a
# close read them, never a resident's path.

EVALUATIONS: Codec[Evaluation] = Codec(evaluation_document, evaluation_from)
BALLOTS: Codec[CastBallot] = Codec(cast_document, cast_from)
COMPLAINTS: Codec[Complaint] = Codec(complaint_document, complaint_from)
QUARTER_INDEX = [("community_id", ASCENDING), ("estate_id", ASCENDING), ("quarter", ASCENDING)]


class PropertyStore:
    def __init__(self, context: StoreContext, register: EstateStore):
        self.db = context.db
        self.register = register  # the household register the ballots are checked against
        self.evaluations = Aggregates(context, "property_evaluations", EVALUATIONS)
        self.ballots = Aggregates(context, "property_ballots", BALLOTS)
        self.complaints = Aggregates(context, "property_complaints", COMPLAINTS)
        self.settings = Aggregates(context, "property_settings", DOCUMENTS)

    def ensure_indexes(self) -> None:
        for collection in ("property_ballots", "property_complaints"):
            self.db[collection].create_index(QUARTER_INDEX)
        self.db["property_evaluations"].create_index(
            [("community_id", ASCENDING), ("estate_id", ASCENDING)]
        )
        self.db["households"].create_index([("community_id", ASCENDING), ("estate", ASCENDING)])

    def recover(self) -> int:
        kept = (self.evaluations, self.ballots, self.complaints, self.settings)
        return recover_all(aggregates.store for aggregates in kept)

    def evaluation(self, community_id: str, estate_id: str) -> Evaluation | None:
        return self.evaluations.get(evaluation_id(community_id, estate_id))

    def evaluations_of(self, community_id: str) -> list[Evaluation]:
        """The community's estates with an evaluation (a handful), in estate order."""
        where = {"community_id": community_id}
        return self.evaluations.query(where, sort=[("estate_id", ASCENDING)])

    def quarter_ballots(self, community_id: str, estate_id: str, quarter: str) -> list[CastBallot]:
        """The quarter's online ballots of the estate (at most its households)."""
        return self.ballots.query(_quarter(community_id, estate_id, quarter))

    def complaints_in(self, community_id: str, estate_id: str, quarter: str) -> int:
        return self.complaints.count(_quarter(community_id, estate_id, quarter))

    def households_in(self, community_id: str, estate_id: str) -> int:
        """The estate's households on the register: what complaints are counted per 100 of."""
        return self.register.households.count({"community_id": community_id, "estate": estate_id})


def _quarter(community_id: str, estate_id: str, quarter: str) -> dict[str, str]:
    return {"community_id": community_id, "estate_id": estate_id, "quarter": quarter}

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
