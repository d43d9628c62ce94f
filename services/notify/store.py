"""The notify repository, the only module of notify that speaks Mongo: its aggregates
(lianxin.store.typed), roster's replicas and the single use of action links. Every hot
path reads and writes by `_id`:

- deliveries      one per (cause, recipient, channel), changed under a lease, with the
                  outcome events and the next attempt's Deadline in its outbox
- people          roster's people by their id (contacts, quiet hours), and each one's
                  recent sends and pending bundle
- places          roster's area nodes by code (names, a community's time zone)
- staff           `<community>`: the ids of its staff (a small index document)
- follows         `<case>`: what later messages about a case need and its events do
                  not carry (description, location, the resident's contact when
                  they consented), written by case.reported and the case's end, with
                  the ids of the case events it applied (app/follows.py)
- link_uses       `<delivery id>:<action>`: one insert per action of a delivery's links,
                  the single use
- numbers         `<SHA-256 of a number>`: the verification codes texted to a number
                  lately (app/verification_codes.py), at most a limit's worth
- area_trees      `<community>`: its areas by code (kind, parent, name), from area.changed:
                  what a notice's audience is checked against and covers
- homes           `<unit code>`: the people roster says live in the unit, and whether each
                  has an SMS number (a notice's SMS recipients, read unit by unit)
- notices         `<NT-…>`: a notice and how many batches its recipients make
- tallies         `<notice id>:<batch>`: each delivery of one batch of a notice, its state
                  and when it was read (domain/notices.py), written under its lease
- tally_sums      `<notice id>:<batch>`: that batch's counts per channel, written after
                  each tally write under the same lease (a takeover writes it again): a
                  notices listing reads these small documents, never the entries

Filtered queries serve listings only, each with its index (ensure_indexes):
dead deliveries for the admin API, a case's deliveries, and a community's notices.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from lianxin.store.aggregates import recover_all
from lianxin.store.documents import document_of
from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, Aggregates, AppliedEvents, Codec
from services.notify.domain.delivery import Attempt, Contact, Delivery, Recipient
from services.notify.domain.notices import Audience, Notice, counts
from services.notify.domain.people import Person, QuietHours

LISTING_LIMIT = 200
REPLICA_CACHE_SECONDS = 2.0
# A follow keeps the ids of the case events it applied under the name stored documents use
FOLLOW_EVENTS = AppliedEvents(field="applied", keep=20)


def delivery_document(delivery: Delivery) -> dict[str, Any]:
    document = document_of(delivery)
    document["_id"] = document.pop("id")
    return document


def delivery_from(document: Mapping[str, Any]) -> Delivery:
    return Delivery(
        id=document["_id"],
        cause_id=document["cause_id"],
        kind=document["kind"],
        recipient=Recipient(**document["recipient"]),
        contact=Contact(**document["contact"]),
        message=document.get("message") or {},
        created_at=document["created_at"],
        community_id=document.get("community_id", ""),
        case_id=document.get("case_id"),
        category=document.get("category", ""),
        urgent=bool(document.get("urgent")),
        fallbacks=tuple(Contact(**contact) for contact in document.get("fallbacks", ())),
        state=document.get("state", "pending"),
        attempts=int(document.get("attempts", 0)),
        history=tuple(Attempt(**attempt) for attempt in document.get("history", ())),
        next_attempt_at=document.get("next_attempt_at"),
        expected_deadline=document.get("expected_deadline"),
        sent_at=document.get("sent_at"),
        dead_at=document.get("dead_at"),
        bundled_into=document.get("bundled_into"),
        bundle=tuple(document.get("bundle", ())),
    )


DELIVERIES: Codec[Delivery] = Codec(delivery_document, delivery_from)


def notice_document(notice: Notice) -> dict[str, Any]:
    document = document_of(notice)
    document["_id"] = document.pop("id")
    document["audience"]["units"] = len(notice.audience.units)  # the tree says which
    return document


def notice_from(document: Mapping[str, Any]) -> Notice:
    audience = document["audience"]
    return Notice(
        id=document["_id"],
        community_id=document["community_id"],
        audience=Audience(
            audience["kind"], audience["code"], audience["name"], audience.get("grid_id"), ()
        ),
        title=document["title"],
        body=document["body"],
        urgent=bool(document["urgent"]),
        channels=tuple(document["channels"]),
        author_id=document.get("author_id"),
        author_name=document.get("author_name", ""),
        sent_at=document["sent_at"],
        request=document["request"],
        batches=document.get("batches"),
        planned=dict(document.get("planned") or {}),
    )


NOTICES: Codec[Notice] = Codec(notice_document, notice_from)


def person_from(document: Mapping[str, Any]) -> Person:
    """A person as roster last told it (`people/<person id>`, app/replicas.py)."""
    return Person(
        person_id=document["person_id"],
        community_id=document["community_id"],
        display_name=document.get("display_name", ""),
        roles=tuple(document.get("roles", ())),
        home_grids=tuple(document.get("home_grids", ())),
        contacts=tuple(Contact(**contact) for contact in document.get("contacts", ())),
        quiet_hours=QuietHours.parse(document.get("quiet_hours")),
        unit_id=document.get("unit_id"),
        active=bool(document.get("active", True)),
        version=int(document.get("version", 0)),
    )


class NotifyStore:
    """notify's aggregates, each changed under its lease (`<aggregates>.change(id)`):
    deliveries as Delivery values, the rest as plain documents."""

    def __init__(self, context: StoreContext):
        self.deliveries = Aggregates(context, "deliveries", DELIVERIES)
        self.people = Aggregates(context, "people", DOCUMENTS)
        self.places = Aggregates(context, "places", DOCUMENTS)
        self.staff = Aggregates(context, "staff", DOCUMENTS)
        self.follows = Aggregates(context, "follows", DOCUMENTS, applied=FOLLOW_EVENTS)
        self.numbers = Aggregates(context, "numbers", DOCUMENTS)
        self.area_trees = Aggregates(context, "area_trees", DOCUMENTS)
        self.homes = Aggregates(context, "homes", DOCUMENTS)
        self.notices = Aggregates(context, "notices", NOTICES)
        self.tallies = Aggregates(context, "tallies", DOCUMENTS, on_takeover=self.sum_tally)
        self._tally_sums = context.db["tally_sums"]
        self._link_uses = context.db["link_uses"]
        self._all = (
            self.deliveries, self.people, self.places, self.staff, self.follows, self.numbers,
            self.area_trees, self.homes, self.notices, self.tallies,
        )  # fmt: skip
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}

    def ensure_indexes(self) -> None:
        # GET /v1/deliveries/dead: dead deliveries, newest first, of one community or all
        self.deliveries.collection.create_index(
            [("state", ASCENDING), ("community_id", ASCENDING), ("dead_at", DESCENDING)]
        )
        self.deliveries.collection.create_index([("state", ASCENDING), ("dead_at", DESCENDING)])
        # GET /v1/deliveries?case_id=: what was sent about one case
        self.deliveries.collection.create_index([("case_id", ASCENDING)])
        # GET /v1/notices: a community's notices, newest first
        self.notices.collection.create_index(
            [("community_id", ASCENDING), ("sent_at", DESCENDING)]
        )

    def recover(self) -> int:
        return recover_all(self._all)

    # deliveries: listings, each with its index

    def dead(self, communities: frozenset[str] | None, limit: int) -> tuple[int, list[Delivery]]:
        """Dead deliveries, newest first, and how many there are (admin listing)."""
        query: dict[str, Any] = {"state": "dead"}
        if communities is not None:
            query["community_id"] = {"$in": sorted(communities)}
        found = self.deliveries.query(
            query, sort=[("dead_at", DESCENDING)], limit=min(limit, LISTING_LIMIT)
        )
        return self.deliveries.count(query), found

    def of_case(self, case_id: str) -> list[Delivery]:
        found = self.deliveries.query({"case_id": case_id}, limit=LISTING_LIMIT)
        return sorted(found, key=lambda delivery: delivery.created_at)

    def notices_of(
        self, community_id: str, before: datetime | None, limit: int
    ) -> list[Notice]:
        """A community's notices, newest first, sent before `before` (a page's cursor)."""
        query: dict[str, Any] = {"community_id": community_id}
        if before is not None:
            query["sent_at"] = {"$lt": before}
        return self.notices.query(
            query, sort=[("sent_at", DESCENDING)], limit=min(limit, LISTING_LIMIT)
        )

    # notices' tallies

    def sum_tally(self, tally: Mapping[str, Any] | None) -> None:
        """A tally's counts per channel, beside it: after each write of the tally, under
        its lease, and again on a takeover (idempotent: a replace by `_id`)."""
        if tally:
            shown = counts((tally.get("entries") or {}).values(), ())
            self._tally_sums.replace_one({"_id": tally["tally"]}, {"counts": shown}, upsert=True)

    def tally_sums(self, tally_id: str) -> dict[str, Any]:
        return (self._tally_sums.find_one({"_id": tally_id}) or {}).get("counts") or {}

    # follows

    def create_follow(self, case_id: str, follow: Mapping[str, Any], applied: str) -> bool:
        """A case's first follow, by one unique insert naming the event that made it;
        False if the case has one."""
        return self.follows.create(case_id, {**follow, FOLLOW_EVENTS.field: [applied]})

    # roster's replicas, read for composing a message

    def person(self, person_id: str) -> Person | None:
        document = self._replica(self.people, person_id)  # roster's ids are unique everywhere
        return person_from(document) if document else None

    def current_person(self, person_id: str) -> Person | None:
        """The person as last stored, not the moment-old copy `person` may give: who may
        be sent a sign-in code must be current (app/sign_in_codes.py)."""
        document = self.people.get(person_id)
        return person_from(document) if document else None

    def staff_of(self, community_id: str) -> list[Person]:
        index = self._replica(self.staff, community_id) or {}
        found = (self.person(member["id"]) for member in index.get("members", []))
        return [person for person in found if person is not None]

    def place(self, code: str) -> dict[str, Any] | None:
        """An area node by its code (a grid, a community, an estate): its name, zone."""
        return self._replica(self.places, code)

    def _replica(
        self, aggregates: Aggregates[dict[str, Any]], record_id: str
    ) -> dict[str, Any] | None:
        """A replica of roster's (a place, a person, a staff list), read by `_id` and kept
        for a moment: every message about a case reads the same few, and a change from
        roster may take REPLICA_CACHE_SECONDS to show."""
        key, now = (aggregates.collection.name, record_id), time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < REPLICA_CACHE_SECONDS:
            return cached[1]
        found = aggregates.get(record_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found

    # action links: single use by unique insert

    def claim_link(self, link_id: str, claim: Mapping[str, Any]) -> dict[str, Any] | None:
        """Take the link's one use. Returns None when taken now, else the earlier use."""
        try:
            self._link_uses.insert_one({"_id": link_id, **claim})
        except DuplicateKeyError:
            return self._link_uses.find_one({"_id": link_id}) or {}
        return None

    def link_use(self, use_id: str) -> dict[str, Any] | None:
        """The earlier use of a link, if any (its page is shown only while there is none)."""
        return self._link_uses.find_one({"_id": use_id})

    def record_link_outcome(self, link_id: str, outcome: Mapping[str, Any]) -> None:
        self._link_uses.update_one({"_id": link_id}, {"$set": {"outcome": dict(outcome)}})

    def release_link(self, link_id: str) -> None:
        """The action could not be tried (cases away): the link may be used again."""
        self._link_uses.delete_one({"_id": link_id})


def is_after(stored: Mapping[str, Any] | None, version: int) -> bool:
    """Whether a replica at `version` is newer than what is stored (events may arrive
    out of order; the newest version wins)."""
    return stored is None or int(stored.get("version", -1)) < version
