"""The in-memory twin of a service's database: the same repository code, no server.

A repository is built on a StoreContext (lianxin.store.repository). Built on a database of
a `MemoryClient` instead of a MongoClient, the same repository runs in memory, in
milliseconds: its leases, fences and outbox, its unique inserts and its listings. The
documents live in mongomock, a fake of pymongo's API (a test dependency: only tests
import this module), which stores what BSON would: it refuses what BSON cannot encode
(a `date`, a set), reads tuples back as lists and datetimes in UTC to the millisecond,
and copies documents in and out.

What it models is MongoDB, one call at a time: every call into it holds the client's one
lock, so each write, a conditional one included, is atomic. It announces itself in
buildInfo, so lianxin.store.engine detects the `memory` engine, which writes
conditionally the MongoDB way (a filter with the condition) and never takes FerretDB's
shortcuts. What it does not model: FerretDB's read-compare-write conditional writes and
its scans (tests of those stay on FerretDB), FerretDB's refusal of dotted field names,
what a secondary index costs or serves, a server that goes away, and durability: the data
lives as long as the client.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import mongomock
from mongomock.collection import Cursor
from mongomock.command_cursor import CommandCursor

from lianxin.store.engine import MEMORY_BUILD_INFO


class _Locked:
    """A mongomock object whose every call holds the client's lock; what a call returns
    is wrapped the same way when it is a database, a collection or a cursor."""

    def __init__(self, target: Any, lock: threading.RLock):
        self._target = target
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._target, name)
        if isinstance(found, _WRAPPED) or not callable(found):
            return _locked(found, self._lock)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return _locked(found(*args, **kwargs), self._lock)

        return call

    def __getitem__(self, name: str) -> Any:
        with self._lock:
            return _locked(self._target[name], self._lock)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._target!r})"


class MemoryClient(_Locked):
    """A MongoClient's stand-in: `client[name]` is a database kept in memory."""

    def __init__(
        self, target: mongomock.MongoClient | None = None, lock: threading.RLock | None = None
    ):
        """A new, empty client; or, given both, the face of a client already wrapped."""
        super().__init__(target or mongomock.MongoClient(tz_aware=True), lock or threading.RLock())


class MemoryDatabase(_Locked):
    def command(self, command: str | dict[str, Any], **options: Any) -> dict[str, Any]:
        """buildInfo says it is the twin (lianxin.store.engine); ping answers as a server's."""
        name = command if isinstance(command, str) else next(iter(command))
        if name == "buildInfo":
            return {"ok": 1.0, "version": mongomock.SERVER_VERSION, MEMORY_BUILD_INFO: True}
        with self._lock:
            return self._target.command(command, **options)


class MemoryCollection(_Locked):
    pass


class MemoryCursor(_Locked):
    """Sorts, limits and skips like pymongo's; the documents are read at once, under the
    lock, when iteration starts."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            documents = list(self._target)
        return iter(documents)

    def __next__(self) -> dict[str, Any]:
        with self._lock:
            return next(self._target)


_WRAPPED: tuple[type, ...] = (
    mongomock.MongoClient,
    mongomock.Database,
    mongomock.Collection,
    Cursor,
    CommandCursor,
)


def _locked(value: Any, lock: threading.RLock) -> Any:
    if isinstance(value, mongomock.Database):
        return MemoryDatabase(value, lock)
    if isinstance(value, mongomock.Collection):
        return MemoryCollection(value, lock)
    if isinstance(value, Cursor | CommandCursor):
        return MemoryCursor(value, lock)
    if isinstance(value, mongomock.MongoClient):
        return MemoryClient(value, lock)
    return value
