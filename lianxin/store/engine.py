"""What the database engine guarantees, and conditional writes by `_id` on top of it.

MongoDB applies a write whose filter names `_id` and one more field ("replace this
document if its `_fence` is still F") atomically. FerretDB 1.x does not: it runs
such a write as read, compare in Go, write back, and because only a filter of
exactly `{_id: value}` reaches its index, the read is a full scan of the collection.

So every conditional write here comes in two shapes:

- on MongoDB, one atomic write whose filter carries the condition;
- on FerretDB, a by-`_id` read, the comparison in Python, and a by-`_id` write.
  Cost stays flat with the size of the collection; the residual window is the
  gap between that read and that write (docs/data-safety.md).

Inserts with a unique `_id` are atomic on both, so creating a document that must
not exist yet is always an insert.

The third engine is the in-memory twin tests build repositories on (lianxin.store.memory):
every call into it holds one lock, so it writes conditionally the MongoDB way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)

ENGINES = ("auto", "mongodb", "ferretdb", "memory")
MEMORY_BUILD_INFO = "lianxinMemory"  # what the in-memory twin's buildInfo carries


@dataclass(frozen=True)
class Engine:
    name: str
    atomic_conditional_writes: bool

    @classmethod
    def detect(cls, db: Database, configured: str = "auto") -> Engine:
        """FerretDB and the in-memory twin announce themselves in buildInfo; anything else
        is taken for MongoDB."""
        if configured not in ENGINES:
            raise ValueError(f"MONGO_ENGINE is one of {', '.join(ENGINES)}, not {configured!r}")
        if configured == "auto":
            configured = cls._announced(db)
        return cls(configured, atomic_conditional_writes=configured != "ferretdb")

    @staticmethod
    def _announced(db: Database) -> str:
        info = db.client.admin.command("buildInfo")
        if "ferretdbVersion" in info:
            return "ferretdb"
        return "memory" if MEMORY_BUILD_INFO in info else "mongodb"

    @property
    def reads_secondary_indexes(self) -> bool:
        """FerretDB 1.x pushes no filter but a lone `_id` down to SQLite, so it reads no
        other index; SQLite would still update each one on every write."""
        return self.atomic_conditional_writes


MONGODB = Engine("mongodb", atomic_conditional_writes=True)
FERRETDB = Engine("ferretdb", atomic_conditional_writes=False)
MEMORY = Engine("memory", atomic_conditional_writes=True)


class ConditionFailed(Exception):
    """The document no longer holds the expected value; nothing was written."""


class ConditionalWrites:
    def __init__(self, engine: Engine):
        self.engine = engine

    def replace_if(
        self,
        collection: Collection,
        document_id: str,
        field: str,
        expected: Any,
        document: dict[str, Any],
    ) -> None:
        """Write `document` if the stored one has `field == expected`; `expected=None`
        means the document must not exist yet (on MongoDB, or carry no such field).
        Raises ConditionFailed otherwise."""
        document = {**document, "_id": document_id}
        if self.engine.atomic_conditional_writes:
            self._replace_atomic(collection, document_id, field, expected, document)
            return
        if expected is None:  # "must not exist yet": the unique insert decides, atomically
            try:
                collection.insert_one(document)
                return
            except DuplicateKeyError:
                pass  # it exists: without the field (written before fencing) it may be replaced
        current = collection.find_one({"_id": document_id}, {field: 1})
        if current is None:
            raise ConditionFailed(f"{document_id} is gone")
        if current.get(field) != expected:
            raise ConditionFailed(f"{document_id}.{field} changed")
        collection.replace_one({"_id": document_id}, document)

    def delete_if(
        self, collection: Collection, document_id: str, field: str, expected: Any
    ) -> bool:
        """Delete the document if it still has `field == expected`. Returns whether it did."""
        if self.engine.atomic_conditional_writes:
            return collection.delete_one({"_id": document_id, field: expected}).deleted_count == 1
        current = collection.find_one({"_id": document_id}, {field: 1})
        if current is None or current.get(field) != expected:
            return False
        return collection.delete_one({"_id": document_id}).deleted_count == 1

    def _replace_atomic(
        self, collection: Collection, document_id: str, field: str, expected: Any, document: dict
    ) -> None:
        try:
            result = collection.replace_one(
                {"_id": document_id, field: expected}, document, upsert=expected is None
            )
        except DuplicateKeyError:  # the upsert met a document with another value
            raise ConditionFailed(f"{document_id}.{field} changed") from None
        if result.matched_count == 0 and result.upserted_id is None:
            raise ConditionFailed(f"{document_id}.{field} changed")
