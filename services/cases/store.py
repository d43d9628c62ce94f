"""The cases repository: case documents, addressed by `_id`, changed under a lease."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pymongo import ASCENDING

from lianxin.envelope import Envelope
from lianxin.idempotency import already_applied, record_applied
from lianxin.mongo import StoreContext
from services.cases.domain import Case, Category, Step, Taxonomy
from services.cases.keys import KeyStore

TAXONOMY_FILE = Path(__file__).parent / "data" / "taxonomy.yaml"


def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    categories = {
        code: Category(
            code=code,
            label=entry["label"],
            team=entry["team"],
            priority=entry["priority"],
            accept_within=timedelta(minutes=entry["accept_within_minutes"]),
            resolve_within=timedelta(hours=entry["resolve_within_hours"]),
            keywords=tuple(word.lower() for word in entry.get("keywords", ())),
        )
        for code, entry in raw["categories"].items()
    }
    return Taxonomy(categories, raw["fallback"])


def to_document(case: Case) -> dict[str, Any]:
    document = asdict(case)
    document["_id"] = document.pop("id")
    document["timeline"] = [asdict(step) for step in case.timeline]
    return document


def from_document(document: dict[str, Any]) -> Case:
    fields = {key: value for key, value in document.items() if key in Case.__dataclass_fields__}
    fields["id"] = document["_id"]
    fields["timeline"] = tuple(Step(**step) for step in document.get("timeline", ()))
    return Case(**fields)


class CaseChange:
    def __init__(self, change):
        self._change = change
        self.case = from_document(change.document) if change.document else None

    @property
    def correlation_id(self) -> str | None:
        return (self._change.document or {}).get("correlation_id")

    @property
    def fingerprint(self) -> str | None:
        return (self._change.document or {}).get("intake_fingerprint")

    def applied(self, event_id: str) -> bool:
        return already_applied(self._change.document, event_id)

    def save(
        self,
        case: Case,
        events: Iterable[Envelope] = (),
        *,
        applied_event: str | None = None,
        **extra: Any,
    ) -> None:
        previous = self._change.document or {}
        document = {**previous, **to_document(case), **extra}
        if applied_event:
            document = record_applied(document, applied_event)
        self._change.save(document, events)


class CaseStore:
    def __init__(self, context: StoreContext):
        self.cases = context.aggregates("cases")
        self.keys = KeyStore(context)
        self.taxonomy = load_taxonomy(Path(context.config.get("TAXONOMY_FILE") or TAXONOMY_FILE))

    def ensure_indexes(self) -> None:
        self.cases.collection.create_index([("community_id", ASCENDING), ("state", ASCENDING)])
        self.cases.collection.create_index([("state", ASCENDING), ("accept_by", ASCENDING)])

    def recover(self) -> int:
        return self.cases.recover() + self.keys.keys.recover()

    @contextmanager
    def change(self, case_id: str) -> Iterator[CaseChange]:
        with self.cases.change(case_id) as change:
            yield CaseChange(change)

    def get(self, case_id: str) -> Case | None:
        document = self.cases.find(case_id)
        return from_document(document) if document else None
