"""The shape of every filter a service sends, as JSON lines (QUERY_LOG)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from pymongo import monitoring


class QueryLog(monitoring.CommandListener):
    """Writes the shape of every filter a service sends (collection, command, field names,
    operators and sort; never a value) as JSON lines: the audit behind docs/store-queries.md,
    the list of the queries that are not by `_id`, which tests/e2e/test_zz_store_queries.py
    holds against the log of the e2e stack. Inserts are written too, with no filter, and
    every line has its time (`at`): `scripts.bench --command-log` counts them per case.
    Set QUERY_LOG to a file path to turn it on.

    `filter` is the filter's top-level keys; `fields` maps every field it names, through
    `$and`/`$or`/`$nor`, to the operators applied to it (`$eq` for a plain value)."""

    FILTERS: ClassVar[Mapping[str, str]] = {
        "find": "filter",
        "count": "query",
        "findAndModify": "query",
        "distinct": "query",
    }
    STATEMENTS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "update": ("updates", "q"),
        "delete": ("deletes", "q"),
    }
    LOGICAL: ClassVar[frozenset[str]] = frozenset({"$and", "$or", "$nor"})

    def __init__(self, path: str):
        self._path = path
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        collection = event.command.get(name)
        sort = self._sort(name, event.command)
        for query in self._filters(name, event.command):
            shape = {
                "db": event.database_name,
                "collection": collection,
                "command": name,
                "filter": sorted(query),
                "fields": self.fields(query),
                "sort": sort,
                "at": round(time.time(), 3),
            }
            with self._lock, open(self._path, "a", encoding="utf-8") as log:
                log.write(json.dumps(shape) + "\n")

    @classmethod
    def fields(cls, query: Mapping[str, Any]) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {}
        for key, value in query.items():
            if key in cls.LOGICAL:
                for branch in value:
                    for field, operators in cls.fields(branch).items():
                        found.setdefault(field, set()).update(operators)
            elif isinstance(value, Mapping) and value and all(k.startswith("$") for k in value):
                found.setdefault(key, set()).update(value)
            else:
                found.setdefault(key, set()).add("$eq")
        return {field: sorted(operators) for field, operators in sorted(found.items())}

    def _filters(self, name: str, command: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        if name in self.FILTERS:
            return [command.get(self.FILTERS[name]) or {}]
        if name in self.STATEMENTS:
            field, key = self.STATEMENTS[name]
            return [statement.get(key) or {} for statement in command.get(field, [])]
        if name == "insert":
            return [{}]  # one line per command, whatever the number of documents
        if name == "aggregate":
            return [stage["$match"] for stage in command.get("pipeline", []) if "$match" in stage]
        return []

    @staticmethod
    def _sort(name: str, command: Mapping[str, Any]) -> list[list[Any]]:
        if name == "aggregate":
            stages = [stage["$sort"] for stage in command.get("pipeline", []) if "$sort" in stage]
            order = stages[0] if stages else {}
        else:
            order = command.get("sort") or {}
        return [[field, direction] for field, direction in order.items()]

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass
