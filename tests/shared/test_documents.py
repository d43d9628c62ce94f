"""Dataclasses as stored documents: the same content as `dataclasses.asdict`, no copies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from lianxin.store.documents import document_of


@dataclass(frozen=True)
class Step:
    at: datetime
    note: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Record:
    id: str
    details: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    last: Step | None = None


def test_a_document_holds_what_asdict_gives_with_sequences_as_lists():
    at = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
    record = Record("r1", {"place": {"estate": "幸福里"}}, (Step(at, "到场", ("a",)),), Step(at))

    document = document_of(record)

    expected = asdict(record)
    expected["steps"] = [{**step, "tags": list(step["tags"])} for step in expected["steps"]]
    expected["last"]["tags"] = []
    assert document == expected
    assert isinstance(document["steps"], list) and isinstance(document["steps"][0], dict)


def test_plain_values_are_shared_not_copied():
    details = {"place": {"estate": "幸福里"}}
    document = document_of(Record("r1", details))
    assert document["details"] is details
    assert document_of(None) is None and document_of("x") == "x"
