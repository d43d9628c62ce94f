"""The cases repository. Every hot path reads and writes by `_id`:

- `cases`: one document per case (a `CaseRecord`: the case, its correlation id and
  intake fingerprint), changed under its lease, its events and timers in its outbox;
- `case_numbers`: one slot per readable number, `_id` = the number: the unique insert
  that makes a number unique under concurrent intake; `case_number_counters` holds
  the last number handed out per prefix and day, a hint where to start looking;
- `case_places`: the duplicate index, one small document per community, category
  and place while a case is open there, naming it: created by a unique insert where
  no case is open, changed under its own lease where one is, removed at closing;
- `areas`: the replica of roster's area registry, one map per community;
- `photos` and `photo_parts`: a photo's record (PhotoStore), and its cleaned bytes and
  thumbnail in parts (lianxin.photos.PhotoParts), `_id` = `<photo>:<variant>:<n>`: GridFS would
  find its chunks by `files_id` and `n`, a scan of every chunk ever stored on FerretDB
  (0.49 s to read one photo among 500, 1.97 s among 2,000), where a part by `_id` stays
  at about 2 ms (docs/store-queries.md);
- `api_keys`: the keys this service owns (KeyStore).

Each is a typed aggregate (lianxin.store.typed.Aggregates) with its codec here, so the
lease, the fence, the outbox and the applied-event record are the shared store's; this
module only says how each value is stored and which queries serve which use.

Filtered queries serve only the listing (GET /v1/cases, Open311's GET requests) and
admin work; each has an index created at start (ensure_indexes).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from lianxin.access.keys import KEYS_COLLECTION, KeyRecord
from lianxin.bus import deadlines
from lianxin.bus.envelope import Envelope
from lianxin.photos import Cleaned, PhotoParts
from lianxin.store.aggregates import recover_all
from lianxin.store.documents import document_of
from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, AggregateChange, Aggregates, AppliedEvents, Codec
from services.cases.domain.areas import AreaNode, CommunityMap
from services.cases.domain.case import Case, Step, Timer
from services.cases.domain.case_numbers import case_number
from services.cases.domain.duplicates import Place, within
from services.cases.domain.photos import Photo, Uploader

AREA_CACHE_SECONDS = 5.0  # how long an area change may take to reach intake, at most
MAX_APPLIED_EVENTS = 20  # the roster events a case remembers having applied
NEWEST_FIRST = [("reported_at", DESCENDING), ("_id", DESCENDING)]
LISTING_INDEXES = (  # the listing's filters, each with the listing's order
    [("community_id", ASCENDING), *NEWEST_FIRST],
    [("community_id", ASCENDING), ("state", ASCENDING), *NEWEST_FIRST],
    [("community_id", ASCENDING), ("grid_id", ASCENDING), *NEWEST_FIRST],
    [("community_id", ASCENDING), ("category", ASCENDING), *NEWEST_FIRST],
    [("community_id", ASCENDING), ("channel", ASCENDING), *NEWEST_FIRST],
    [("community_id", ASCENDING), ("is_overdue", ASCENDING), *NEWEST_FIRST],
    NEWEST_FIRST,  # an all-communities key listing without a community
)


# Case documents


def to_document(case: Case) -> dict[str, Any]:
    document = document_of(case)
    document["_id"] = document.pop("id")
    document["is_overdue"] = bool(case.overdue)  # what the listing filters on
    return document


def from_document(document: Mapping[str, Any]) -> Case:
    names = Case.__dataclass_fields__
    values = {key: value for key, value in document.items() if key in names}
    values["id"] = document["_id"]
    values.setdefault("number", document["_id"])  # stored before readable case numbers
    values["timeline"] = tuple(
        Step(**{**step, "attachments": tuple(step.get("attachments") or ())})
        for step in document.get("timeline", ())
    )
    for name in ("attachments", "overdue", "warned", "absorbed", "parties", "sessions"):
        values[name] = tuple(document.get(name) or ())
    values["followers"] = tuple(document.get("followers") or ())
    values["requests"] = tuple(document.get("requests") or ())
    return Case(**values)


@dataclass(frozen=True)
class CaseRecord:
    """A case as stored: the case, the correlation id its events carry (the intake's,
    which every later event repeats) and the fingerprint of the report that opened it
    (a retry with the same Idempotency-Key must say the same; None for a work order)."""

    case: Case
    correlation_id: str | None = None
    intake_fingerprint: str | None = None


def record_to_document(record: CaseRecord) -> dict[str, Any]:
    return {
        **to_document(record.case),
        "correlation_id": record.correlation_id,
        "intake_fingerprint": record.intake_fingerprint,
    }


def record_from_document(document: Mapping[str, Any]) -> CaseRecord:
    return CaseRecord(
        from_document(document), document.get("correlation_id"), document.get("intake_fingerprint")
    )


CASES = Codec(record_to_document, record_from_document)
APPLIED_ROSTER_EVENTS = AppliedEvents(keep=MAX_APPLIED_EVENTS)


class CaseChange:
    """A case under its lease: what the command sees and the one way to save it."""

    def __init__(self, change: AggregateChange[CaseRecord]):
        self._change = change
        self.record = change.value
        self.case = self.record.case if self.record else None

    @property
    def correlation_id(self) -> str | None:
        return self.record.correlation_id if self.record else None

    @property
    def intake_fingerprint(self) -> str | None:
        return self.record.intake_fingerprint if self.record else None

    def applied(self, event_id: str) -> bool:
        return self._change.has_applied(event_id)

    def save(
        self,
        case: Case,
        events: Iterable[Envelope] = (),
        timers: Iterable[Timer] = (),
        *,
        applied_event: str | None = None,
    ) -> None:
        """The case after the change, with the events and timers it caused; the
        correlation id and fingerprint stay as intake wrote them."""
        record = CaseRecord(case, self.correlation_id, self.intake_fingerprint)
        self._save(record, events, timers, applied_event)

    def open(
        self,
        case: Case,
        events: Iterable[Envelope],
        timers: Iterable[Timer],
        *,
        correlation_id: str,
        intake_fingerprint: str | None,
    ) -> None:
        """The first write of a case, at intake."""
        self._save(CaseRecord(case, correlation_id, intake_fingerprint), events, timers, None)

    def _save(
        self,
        record: CaseRecord,
        events: Iterable[Envelope],
        timers: Iterable[Timer],
        applied_event: str | None,
    ) -> None:
        case = record.case
        scheduled = [
            deadlines.Deadline(timer.kind, case.id, timer.due_at, timer.payload) for timer in timers
        ]
        self._change.save(record, [*events, *scheduled], applied=applied_event)


@dataclass(frozen=True)
class Listing:
    """A page of cases and the cursor to the next one."""

    cases: list[Case]
    next_cursor: str | None


class BadCursor(Exception):
    def details(self) -> dict[str, Any]:
        return {"fields": {"cursor": ["Not a cursor this API gave out."]}}


class CaseStore:
    def __init__(self, context: StoreContext):
        self.parts = Aggregates(context, "cases", CASES, applied=APPLIED_ROSTER_EVENTS)
        self.places = Aggregates(context, "case_places", DOCUMENTS)
        self.areas = Aggregates(context, "areas", AREAS)
        self._slots = context.db["case_numbers"]
        self._counters = context.db["case_number_counters"]
        self._maps: dict[str, tuple[float, CommunityMap]] = {}
        self._hints: dict[str, int] = {}
        self._area_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def ensure_indexes(self) -> None:
        for keys in LISTING_INDEXES:
            self.parts.collection.create_index(keys)

    @property
    def aggregates(self) -> tuple[Aggregates[Any], ...]:
        """Every kind of aggregate it keeps, for the outbox sweep (lianxin.store.aggregates)."""
        return (self.parts, self.places, self.areas)

    def recover(self) -> int:
        return recover_all(self.aggregates)

    # One case

    @contextmanager
    def change(self, case_id: str) -> Iterator[CaseChange]:
        with self.parts.change(case_id) as change:
            yield CaseChange(change)

    def get(self, case_id: str) -> Case | None:
        record = self.parts.get(case_id)
        return record.case if record else None

    def case_id_of_number(self, number: str) -> str | None:
        slot = self._slots.find_one({"_id": number})
        return slot["case_id"] if slot else None

    # Readable numbers

    def allocate_number(self, prefix: str, day: str, case_id: str, now: datetime) -> str:
        """The next free number of the prefix and day, taken by a unique insert: concurrent
        intakes (in any replica) each get their own. Within a process the next number is
        reserved in memory, so its own intakes never collide; the stored counter is read
        for a process's first number of the day and when another process took the one it
        tried. A number reserved by an intake whose insert failed (database away) stays
        unused if another was reserved meanwhile: a gap, never a duplicate."""
        counter_id = f"{prefix}-{day}"
        sequence = self._reserve(counter_id, seen=None)
        while True:
            number = case_number(prefix, day, sequence)
            try:
                self._slots.insert_one({"_id": number, "case_id": case_id, "at": now})
                break
            except DuplicateKeyError:  # another process numbers this day as well
                sequence = self._reserve(counter_id, seen=self._counter(counter_id))
            except BaseException:
                self._give_back(counter_id, sequence)
                raise
        self._advance_counter(counter_id, sequence)
        return number

    def _reserve(self, counter_id: str, seen: int | None) -> int:
        """The next number after this process's last and the counter's `seen` value."""
        if seen is None and counter_id not in self._hints:
            seen = self._counter(counter_id)
        with self._lock:
            sequence = max(self._hints.get(counter_id, 0), seen or 0) + 1
            self._hints[counter_id] = sequence
        return sequence

    def _give_back(self, counter_id: str, sequence: int) -> None:
        with self._lock:
            if self._hints.get(counter_id) == sequence:
                self._hints[counter_id] = sequence - 1

    def _counter(self, counter_id: str) -> int:
        return int((self._counters.find_one({"_id": counter_id}) or {}).get("last", 0))

    def _advance_counter(self, counter_id: str, sequence: int) -> None:
        """Only a hint, so a lost race costs nothing; but two first upserts of one day
        race to insert the counter, and the loser then updates the winner's."""
        for _ in range(2):
            try:
                self._counters.update_one(
                    {"_id": counter_id}, {"$max": {"last": sequence}}, upsert=True
                )
                return
            except DuplicateKeyError:
                continue

    # The duplicate index

    @contextmanager
    def place(self, place: Place) -> Iterator[AggregateChange[dict[str, Any]]]:
        with self.places.change(place.key) as change:
            yield change

    def open_case_near(
        self, place: Place, own: Mapping[str, Any] | None, radius_m: float, since: datetime
    ) -> list[str]:
        """Case ids the index names at or near the place, reported since `since`, nearest
        key first. Whether each is still open is for the caller to check under its lease."""
        found = []
        for key in place.neighbours:
            entry = own if key == place.key else self.places.get(key)
            if not entry or entry.get("reported_at") is None or entry["reported_at"] < since:
                continue
            if within(place, entry.get("lat"), entry.get("lon"), radius_m):
                found.append(entry["case_id"])
        return found

    def claim_place(
        self, place: Place, entry: Mapping[str, Any], radius_m: float, since: datetime
    ) -> bool:
        """Name the case at a place where no case is open, by one unique insert and without
        the place's lease: no entry at the place (entries go when their case closes) and
        none near it. False when there is one: the caller takes the lease and decides."""
        if self.open_case_near(place, None, radius_m, since):
            return False
        return self.places.create(place.key, entry)

    def forget_place(self, case: Case) -> None:
        """The case is no longer open: its place's entry goes, so the next report there
        claims the place by an insert."""
        if not case.place_key:
            return
        with self.places.change(case.place_key) as change:
            if change.value and change.value.get("case_id") == case.id:
                change.remove()

    # The area replica

    @contextmanager
    def area_change(self, community_id: str) -> Iterator[AggregateChange[CommunityMap]]:
        """Under the community map's lease. A registry import sends hundreds of nodes of
        one community at once: the workers of one process take turns here first, so
        only the replicas compete for the lease, not every worker of each."""
        with self._area_lock(community_id), self.areas.change(community_id) as change:
            yield change

    def _area_lock(self, community_id: str) -> threading.Lock:
        with self._lock:
            return self._area_locks.setdefault(community_id, threading.Lock())

    def community_map(self, community_id: str) -> CommunityMap:
        """The community's areas, cached for a few seconds once known; an unknown
        community is read afresh each time, so a new one is usable at once."""
        now = time.monotonic()
        cached = self._maps.get(community_id)
        if cached is not None and now - cached[0] < AREA_CACHE_SECONDS:
            return cached[1]
        area = self.areas.get(community_id) or CommunityMap(community_id, {})
        if area.known:
            if len(self._maps) > 10_000:
                self._maps.clear()
            self._maps[community_id] = (now, area)
        return area

    # Listing

    def listing(
        self,
        filters: Mapping[str, Any],
        communities: frozenset[str] | None,
        limit: int,
        cursor: str | None,
    ) -> Listing:
        query: dict[str, Any] = {}
        if communities is not None:
            query["community_id"] = {"$in": sorted(communities)}
        if filters.get("community_id"):
            wanted = filters["community_id"]
            query["community_id"] = (
                wanted if communities is None or wanted in communities else {"$in": []}
            )
        for name in ("grid_id", "state", "category", "channel"):
            wanted = filters.get(name)
            if wanted:
                query[name] = {"$in": list(wanted)} if isinstance(wanted, list) else wanted
        if "overdue" in filters:
            query["is_overdue"] = bool(filters["overdue"])
        if filters.get("since") or filters.get("until"):
            query["reported_at"] = {
                **({"$gte": filters["since"]} if filters.get("since") else {}),
                **({"$lte": filters["until"]} if filters.get("until") else {}),
            }
        if cursor:
            at, case_id = decode_cursor(cursor)
            query = {
                "$and": [
                    query,
                    {
                        "$or": [
                            {"reported_at": {"$lt": at}},
                            {"reported_at": at, "_id": {"$lt": case_id}},
                        ]
                    },
                ]
            }
        found = self.parts.query(query, sort=NEWEST_FIRST, limit=limit + 1)
        cases = [record.case for record in found]
        more = len(cases) > limit
        cases = cases[:limit]
        last = cases[-1] if more and cases else None
        return Listing(cases, encode_cursor(last.reported_at, last.id) if last else None)


def map_from_document(community_id: str, document: Mapping[str, Any] | None) -> CommunityMap:
    nodes = (document or {}).get("nodes") or []
    return CommunityMap(
        community_id, {node["code"]: AreaNode.from_document(node) for node in nodes}
    )


def map_to_document(area: CommunityMap) -> dict[str, Any]:
    return {"nodes": [node.to_document() for node in area.nodes.values()]}


def area_from_document(document: Mapping[str, Any]) -> CommunityMap:
    return map_from_document(document["_id"], document)


AREAS = Codec(map_to_document, area_from_document)


def encode_cursor(at: datetime, case_id: str) -> str:
    raw = json.dumps([at.isoformat(), case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, case_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(case_id, str):
            raise ValueError(cursor)
        return moment, case_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("The cursor is not valid.") from None


KEY_RECORDS = Codec(KeyRecord.to_document, KeyRecord.from_document)


class KeyNotFound(Exception):
    def __init__(self, key_id: str):
        super().__init__(f"No key {key_id}.")


class KeyExists(Exception):
    pass


class KeyStore:
    """The owner's keys: one aggregate per key, changed under its lease, with its event."""

    def __init__(self, context: StoreContext):
        self.keys = Aggregates(context, KEYS_COLLECTION, KEY_RECORDS)

    def save(self, record: KeyRecord, event: Envelope, expect_new: bool) -> KeyRecord:
        with self.keys.change(record.id) as change:
            if expect_new and change.value is not None:
                raise KeyExists(record.id)
            if not expect_new and change.value is None:
                raise KeyNotFound(record.id)
            change.save(record, [event])
        return record

    def get(self, key_id: str) -> KeyRecord | None:
        return self.keys.get(key_id)

    def all(self) -> list[KeyRecord]:
        """Every key, newest first: a scan of a small collection (admin work)."""
        records = self.keys.query({"secret_sha256": {"$exists": True}})
        return sorted(records, key=lambda record: record.created_at or datetime.min, reverse=True)


def photo_to_document(photo: Photo) -> dict[str, Any]:
    document = {key: value for key, value in photo.__dict__.items() if key != "uploader"}
    return {**document, "uploader": dict(photo.uploader.__dict__)}


def photo_from_document(document: Mapping[str, Any]) -> Photo:
    fields = {key: document[key] for key in Photo.__dataclass_fields__ if key in document}
    return Photo(**{**fields, "id": document["_id"], "uploader": Uploader(**document["uploader"])})


PHOTOS = Codec(photo_to_document, photo_from_document)


class PhotoStore:
    """Photos: the record changed under its lease (attaching binds it once), the bytes
    written once before the record, in parts read by `_id`."""

    def __init__(self, context: StoreContext):
        self.photos = Aggregates(context, "photos", PHOTOS)
        self._parts = PhotoParts(context.db["photo_parts"])

    def add(self, photo: Photo, cleaned: Cleaned) -> None:
        """The bytes first, then the record (lianxin.photos.PhotoParts)."""
        self._parts.add(photo.id, cleaned)
        self.photos.create(photo.id, photo)

    def get(self, photo_id: str) -> Photo | None:
        return self.photos.get(photo_id)

    def content(self, photo: Photo, variant: str) -> bytes:
        size = photo.size if variant == "full" else photo.thumbnail_size
        return self._parts.content(photo.id, variant, size)

    @contextmanager
    def change(self, photo_id: str) -> Iterator[AggregateChange[Photo]]:
        with self.photos.change(photo_id) as change:
            yield change
