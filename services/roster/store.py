"""The roster repository: people, rotas and offers addressed by `_id`, the hours ledger."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from lianxin.envelope import Envelope
from lianxin.mongo import StoreContext
from services.roster.domain import Leave, Offer, Rota, Shift

SAMPLE_COMMUNITY = Path(__file__).parent / "data" / "sample_community.yaml"


def community_documents(raw: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Turn a community file into the documents roster stores, keyed by `_id`."""
    community = raw["community"]
    zone = ZoneInfo(community["timezone"])
    starts = datetime.fromisoformat(community["rota_start"]).replace(tzinfo=zone)
    people: dict[str, dict[str, Any]] = {}
    members: dict[tuple[str, str], list[str]] = {}
    for person_id, name, phone, grid_id, team in raw["people"]:
        person = people.setdefault(
            person_id,
            {
                "_id": person_id,
                "name": name,
                "phone": phone,
                "community_id": community["id"],
                "memberships": [],
            },
        )
        person["memberships"].append({"grid_id": grid_id, "team": team})
        members.setdefault((grid_id, team), []).append(person_id)
    rotas = []
    for (grid_id, team), people_in_order in members.items():
        shifts = _shifts(team, people_in_order, raw)
        rotas.append(
            {
                "_id": f"{grid_id}:{team}",
                "community_id": community["id"],
                "grid_id": grid_id,
                "team": team,
                "starts": starts,
                "leave": [],
                "timezone": community["timezone"],
                "shifts": shifts,
            }
        )
    grids = [
        {
            "_id": grid["id"],
            "name": grid["name"],
            "leader": grid["leader"],
            "community_id": community["id"],
        }
        for grid in raw["grids"]
    ]
    return {
        "communities": [{"_id": community["id"], **community}],
        "grids": grids,
        "people": list(people.values()),
        "rotas": rotas,
    }


def _shifts(team: str, people_in_order: list[str], raw: dict[str, Any]) -> list[dict[str, Any]]:
    if team == "mediation_desk":  # everyone at the desk during its opening hours
        return [
            {"person_id": person, **slot}
            for person in people_in_order
            for slot in raw["mediation_hours"]
        ]
    pattern = raw["around_the_clock"]
    return [
        {"person_id": person, **pattern[index % len(pattern)]}
        for index, person in enumerate(people_in_order)
    ]


def rota_from_document(document: dict[str, Any]) -> Rota:
    starts = document["starts"]
    if starts.tzinfo is not None:
        starts = starts.astimezone(ZoneInfo(document.get("timezone", "Asia/Shanghai")))
    shifts = tuple(
        Shift(shift["person_id"], shift["rule"], shift["hours"], starts)
        for shift in document["shifts"]
    )
    leave = tuple(
        Leave(entry["person_id"], entry["start"], entry["end"])
        for entry in document.get("leave", ())
    )
    return Rota(document["grid_id"], document["team"], shifts, leave)


class OfferChange:
    def __init__(self, change):
        self._change = change
        self.exists = change.document is not None

    def save(self, record: Offer | dict[str, Any], events: Iterable[Envelope]) -> None:
        document = asdict(record) if isinstance(record, Offer) else dict(record)
        document["_id"] = document.pop("id", None) or document["_id"]
        self._change.save(document, events)


class RosterStore:
    def __init__(self, context: StoreContext):
        self.db = context.db
        self.offers = context.aggregates("offers")
        self.seed_file = context.config.get("ROSTER_SEED_FILE")

    def ensure_indexes(self) -> None:
        self.offers.collection.create_index([("case_id", ASCENDING)])
        self.offers.collection.create_index([("person_id", ASCENDING), ("state", ASCENDING)])
        self.db["hours"].create_index([("person_id", ASCENDING), ("at", ASCENDING)])
        self.db["people"].create_index([("community_id", ASCENDING)])
        if self.seed_file:
            self.seed(Path(self.seed_file))

    def seed(self, path: Path = SAMPLE_COMMUNITY) -> None:
        """Load a community file; replacing by `_id` makes it safe to run at every start."""
        documents = community_documents(yaml.safe_load(path.read_text(encoding="utf-8")))
        for collection, items in documents.items():
            for document in items:
                self.db[collection].replace_one({"_id": document["_id"]}, document, upsert=True)

    def recover(self) -> int:
        return self.offers.recover()

    def rota(self, grid_id: str, team: str) -> Rota | None:
        document = self.db["rotas"].find_one({"_id": f"{grid_id}:{team}"})
        return rota_from_document(document) if document else None

    def person(self, person_id: str) -> dict[str, Any] | None:
        return self.db["people"].find_one({"_id": person_id})

    @contextmanager
    def offer_change(self, offer_id: str) -> Iterator[OfferChange]:
        with self.offers.change(offer_id) as change:
            yield OfferChange(change)

    def credit_hours(self, entry_id: str, entry: dict[str, Any]) -> bool:
        """One ledger line per resolved-case event: the insert is the idempotency (rule 4)."""
        try:
            self.db["hours"].insert_one({"_id": entry_id, **entry})
            return True
        except DuplicateKeyError:
            return False

    def hours_of(self, person_id: str) -> list[dict[str, Any]]:
        """The ledger lines of one person, oldest first: each one resolved case."""
        return list(self.db["hours"].find({"person_id": person_id}).sort("at", ASCENDING))
