"""The roster repository: every hot path reads and writes by `_id`.

Aggregates (changed under their lease, events in their outbox; lianxin.store.typed):
  dispatches/<case> (a Dispatch), hours/<entry> (a ledger Entry), rota_overrides/<rota>
  (its Overrides), and, as plain documents, areas/<code>, people/<person>,
  teams/<community>:<team>, rotas/<rota>, policies/<community>, rota_clocks/<rota>.
Derived documents, rebuilt after an import: lookups/grid:<grid> (the rotas that can
take a case in a grid, its own first, then its neighbours'), lookups/team:<team>, and
lookups/people:<community> (the community's people listing, as one JSON text: FerretDB
decodes one text field of 2,100 people in 5 ms where as many list entries of fields take
0.12 s).
Ledger lines, hours/<entry>: each written once, with its event, as an aggregate of
its own, and never changed after (services.roster.app.hours).
Waiting credits, hours_waiting/<community>: the ids of the community's credits that wait
for a staff decision, oldest first; a credit is listed when it is recorded pending and
taken off when decided or voided, so the approvals queue reads one document by `_id`
and then each entry by its `_id` (services.roster.app.hours), never a scan of the ledger.
Activities, activities/<id> (an Activity with its sign-ups), listed by community in
activity_lists/<community> (services.roster.app.activities): read by `_id` only.
Append-only: offers/<offer> (a person's offers), no_shows/<rota>:<person>:<start>,
attendance/<id> (sign-ins and sign-outs).

Dispatching a case reads the grid's lookup, the rotas it names and their overrides,
and the people on duty: a handful of documents whatever the number of people.
Definitions (areas, policies, rotas, lookups, teams) change by import only, so a
replica keeps them for a few seconds; overrides, people and dispatches are read
fresh every time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from lianxin.store.aggregates import recover_all, visible
from lianxin.store.documents import document_of
from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, AggregateChange, Aggregates, Codec
from services.roster.domain.activities import Activity, activity_document, activity_from
from services.roster.domain.care import CarePlan, Consent, Tick
from services.roster.domain.credits import Credits, Reopening, Resolution
from services.roster.domain.dispatch import CaseRef, Dispatch, Offer
from services.roster.domain.ledger import Entry
from services.roster.domain.policy import Policy, from_storable, policy_from
from services.roster.domain.rota import Override, Plan, PlannedShift, Rota

DEFINITIONS_SECONDS = 3.0  # how long a replica may act on a definition an import replaced
# the registry's records and each rota's clock: plain documents, no domain type of their own
RECORDS = ("areas", "people", "teams", "rotas", "policies", "rota_clocks")
LISTING_LIMIT = 200
T = TypeVar("T")


class RosterStore:
    """Roster's aggregates, each kept by lianxin.store.typed.Aggregates: `dispatches`
    (Dispatch), `ledger` (Entry, in `hours`), `overrides` (each rota's overrides, in
    `rota_overrides`), and the registry's records as documents (`change(kind, id)`)."""

    def __init__(self, context: StoreContext, policy_defaults: Mapping[str, Any]):
        """`policy_defaults`: data/policy.yaml as services.roster.compose reads it once."""
        self.db = context.db
        self.policy_defaults = policy_defaults
        self.dispatches = Aggregates(context, "dispatches", DISPATCHES)
        self.ledger = Aggregates(context, "hours", ENTRIES)
        self.overrides = Aggregates(context, "rota_overrides", OVERRIDES)
        self.waiting = Aggregates(context, "hours_waiting", DOCUMENTS)
        self.activities = Aggregates(context, "activities", ACTIVITIES)
        self.activity_lists = Aggregates(context, "activity_lists", DOCUMENTS)
        self.records = {kind: Aggregates(context, kind, DOCUMENTS) for kind in RECORDS}
        self.care_plans = Aggregates(context, "care_plans", CARE_PLANS)
        self.care_rounds = Aggregates(context, "care_rounds", TICKS)
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    def ensure_indexes(self) -> None:
        """One index per filtered query (listings, reports, exports; none on a hot path)."""
        # the registry's listing pages by code (`_id`), with or without a kind
        self.db["areas"].create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        self.db["areas"].create_index(
            [("community_id", ASCENDING), ("kind", ASCENDING), ("_id", ASCENDING)]
        )
        for collection in ("teams", "rotas", "people"):  # people: the listing's rebuild
            self.db[collection].create_index([("community_id", ASCENDING)])
        self.db["offers"].create_index([("person_id", ASCENDING), ("made_at", DESCENDING)])
        self.db["hours"].create_index([("person_id", ASCENDING), ("at", ASCENDING)])
        self.db["hours"].create_index(
            [("community_id", ASCENDING), ("household_id", ASCENDING), ("at", ASCENDING)]
        )
        self.db["hours"].create_index([("community_id", ASCENDING), ("at", ASCENDING)])
        self.db["no_shows"].create_index([("person_id", ASCENDING), ("start", DESCENDING)])
        for key in ("community_id", "carer_id"):  # the care register; a carer's plans
            self.db["care_plans"].create_index([(key, ASCENDING), ("_id", ASCENDING)])

    def recover(self) -> int:
        kept = [
            self.dispatches,
            self.ledger,
            self.overrides,
            self.waiting,
            self.activities,
            self.activity_lists,
            self.care_plans,
            self.care_rounds,
            *self.records.values(),
        ]
        return recover_all(aggregates.store for aggregates in kept)

    @contextmanager
    def change(self, kind: str, record_id: str) -> Iterator[AggregateChange[dict[str, Any]]]:
        """A record of the registry (or a rota's clock) under its lease."""
        with self.records[kind].change(record_id) as change:
            yield change

    # -- by _id ------------------------------------------------------------------------------

    def find(self, collection: str, document_id: str) -> dict[str, Any] | None:
        """A document as commands see it (no fence, no outbox), of any collection."""
        return visible(self.db[collection].find_one({"_id": document_id}))

    def definition(self, collection: str, document_id: str) -> dict[str, Any] | None:
        """A definition, possibly a few seconds old (see DEFINITIONS_SECONDS)."""
        return self._cached((collection, document_id), lambda: self.find(collection, document_id))

    def policy(self, community_id: str) -> Policy:
        def load() -> Policy:
            stored = self.records["policies"].get(community_id)
            overrides = from_storable(stored["policy"]) if stored else None
            return policy_from(self.policy_defaults, overrides)

        return self._cached(("policy", community_id), load)

    def rota(self, rota_id: str) -> Rota | None:
        def load() -> Rota | None:
            stored = self.records["rotas"].get(rota_id)
            return rota_from_document(stored) if stored else None

        return self._cached(("rota", rota_id), load)

    def overrides_of(self, rota_id: str) -> list[Override]:
        return list(self.overrides.get(rota_id) or ())

    def _cached(self, key: tuple[str, str], load) -> Any:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < DEFINITIONS_SECONDS:
            return hit[1]
        value = load()
        if len(self._cache) > 20_000:
            self._cache.clear()
        self._cache[key] = (now, value)
        return value

    def forget(self) -> None:
        """Drop every cached definition (after an import in this process)."""
        self._cache.clear()

    def put(self, collection: str, document: Mapping[str, Any]) -> None:
        """A derived or projected document, replaced whole by `_id`."""
        self.db[collection].replace_one({"_id": document["_id"]}, dict(document), upsert=True)

    def people_listing(self, community_id: str) -> list[dict[str, Any]] | None:
        """The community's people listing (app.registry.rebuild_people_listing), by `_id`;
        None when no import has built it yet."""
        found = self.find("lookups", f"people:{community_id}")
        return json.loads(found["people"]) if found else None

    def put_people_listing(self, community_id: str, entries: list[dict[str, Any]]) -> None:
        text = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
        self.put("lookups", {"_id": f"people:{community_id}", "people": text})

    def insert(self, collection: str, document: Mapping[str, Any]) -> bool:
        """An append-only record; False when one with its `_id` exists (a redelivery)."""
        try:
            self.db[collection].insert_one(dict(document))
            return True
        except DuplicateKeyError:
            return False

    # -- listings, reports and exports (filtered, each with its index) -----------------------

    def of_community(self, kind: str, community_id: str) -> list[dict[str, Any]]:
        """Index (community_id): imports rebuild lookups and the people listing from these."""
        return self.records[kind].query({"community_id": community_id})

    def areas(self, community_id: str, kind: str | None, after: str | None) -> list[dict]:
        """Index (community_id, kind, _id) or (community_id, _id): the registry's listing,
        by code."""
        query: dict[str, Any] = {"community_id": community_id}
        if kind:
            query["kind"] = kind
        if after:
            query["_id"] = {"$gt": after}
        return self.records["areas"].query(query, sort=[("_id", ASCENDING)], limit=LISTING_LIMIT)

    def offers_of(self, person_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Index (person_id, made_at): a person's latest offers."""
        found = self.db["offers"].find({"person_id": person_id})
        return list(found.sort("made_at", DESCENDING).limit(limit))

    def entries(self, **match: str) -> list[Entry]:
        """Index (person_id, at), (community_id, at) or (community_id, household_id, at):
        a person's, a community's or a household's ledger lines, oldest first. A household
        is one community's: its id is only unique there."""
        return self.ledger.query(dict(match), sort=[("at", ASCENDING)])

    def no_shows_of(self, person_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Index (person_id, start): a person's recorded no-shows, latest first."""
        found = self.db["no_shows"].find({"person_id": person_id})
        return list(found.sort("start", DESCENDING).limit(limit))

    def care_plans_of(self, **match: str) -> list[CarePlan]:
        """Index (community_id, _id) or (carer_id, _id): a community's care register or
        a carer's plans, by id."""
        return self.care_plans.query(dict(match), sort=[("_id", ASCENDING)], limit=LISTING_LIMIT)


def rota_from_document(document: Mapping[str, Any]) -> Rota:
    plan = document["plan"]
    return Rota(
        id=document["_id"],
        community_id=document["community_id"],
        team=document["team"],
        grids=tuple(document["grids"]),
        zone=ZoneInfo(document["timezone"]),
        crews=tuple(tuple(crew["people"]) for crew in document["crews"]),
        plan=Plan(
            anchor=date.fromisoformat(plan["anchor"]),
            days=plan["days"],
            shifts=tuple(
                PlannedShift(
                    s["day"], clock_time.fromisoformat(s["start"]), s["minutes"], s["crew"]
                )
                for s in plan["shifts"]
            ),
        ),
        until=date.fromisoformat(document["until"]) if document.get("until") else None,
        check_in_required=bool(document.get("check_in_required")),
    )


def override_from(document: Mapping[str, Any]) -> Override:
    return _from_fields(Override, document)


def override_document(override: Override) -> dict[str, Any]:
    return document_of(override)


def entry_from(document: Mapping[str, Any]) -> Entry:
    return _from_fields(Entry, document, id=document["_id"])


def entry_document(entry: Entry) -> dict[str, Any]:
    return {"_id": entry.id, **{k: v for k, v in document_of(entry).items() if k != "id"}}


def _from_fields(kind: type[T], document: Mapping[str, Any], **given: Any) -> T:
    """A dataclass from the document's fields of the same names; a field the document
    lacks (a record stored before the field existed) takes the dataclass's default."""
    names = {field.name for field in fields(kind)} - set(given)
    return kind(**given, **{name: document[name] for name in names if name in document})


def dispatch_from(document: Mapping[str, Any]) -> Dispatch:
    offer = document.get("offer")
    return Dispatch(
        case=CaseRef(**document["case"]),
        state=document["state"],
        round=document["round"],
        attempt=document["attempt"],
        offer=Offer(**offer) if offer else None,
        passed=tuple(document.get("passed", ())),
        step=document.get("step", 0),
        holder=document.get("holder"),
        awaits_shift=document.get("awaits_shift"),
        case_version=document.get("case_version", 0),
        credits=credits_from(document.get("credits") or {}),
        applied=tuple(document.get("applied", ())),
    )


def credits_from(document: Mapping[str, Any]) -> Credits:
    return Credits(
        resolutions=tuple(Resolution(**found) for found in document.get("resolutions", ())),
        reopenings=tuple(Reopening(**found) for found in document.get("reopenings", ())),
    )


def dispatch_document(dispatch: Dispatch) -> dict[str, Any]:
    return {
        "_id": dispatch.case.case_id,
        "case": document_of(dispatch.case),
        "state": dispatch.state,
        "round": dispatch.round,
        "attempt": dispatch.attempt,
        "offer": document_of(dispatch.offer),
        "passed": list(dispatch.passed),
        "step": dispatch.step,
        "holder": dispatch.holder,
        "awaits_shift": dispatch.awaits_shift,
        "case_version": dispatch.case_version,
        "credits": document_of(dispatch.credits),
        "applied": list(dispatch.applied),
    }


def offer_document(offer: Offer, state: str, at: datetime) -> dict[str, Any]:
    """A person's offer as their listing shows it; replaced as its state moves on."""
    return {"_id": offer.id, **document_of(offer), "state": state, "changed_at": at}


def overrides_document(overrides: Iterable[Override]) -> dict[str, Any]:
    return {"overrides": [override_document(override) for override in overrides]}


def overrides_from(document: Mapping[str, Any]) -> tuple[Override, ...]:
    return tuple(override_from(entry) for entry in document.get("overrides", ()))


DISPATCHES: Codec[Dispatch] = Codec(dispatch_document, dispatch_from)
ENTRIES: Codec[Entry] = Codec(entry_document, entry_from)
OVERRIDES: Codec[tuple[Override, ...]] = Codec(overrides_document, overrides_from)
ACTIVITIES: Codec[Activity] = Codec(activity_document, activity_from)


def care_plan_document(plan: CarePlan) -> dict[str, Any]:
    return {"_id": plan.id, **{k: v for k, v in document_of(plan).items() if k != "id"}}


def care_plan_from(document: Mapping[str, Any]) -> CarePlan:
    consent = document["consent"]
    return _from_fields(CarePlan, document, id=document["_id"], consent=Consent(**consent))


def tick_document(tick: Tick) -> dict[str, Any]:
    stored = {k: v for k, v in document_of(tick).items() if k != "round_id"}
    return {"_id": tick.round_id, **stored, "day": tick.day.isoformat()}


def tick_from(document: Mapping[str, Any]) -> Tick:
    day = date.fromisoformat(document["day"])
    return _from_fields(Tick, document, round_id=document["_id"], day=day)


CARE_PLANS: Codec[CarePlan] = Codec(care_plan_document, care_plan_from)
TICKS: Codec[Tick] = Codec(tick_document, tick_from)
