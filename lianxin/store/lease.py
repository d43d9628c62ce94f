"""One writer per aggregate at a time (docs/architecture.md rule 2), decided by unique inserts.

FerretDB 1.x runs a filtered update or delete as read-modify-write, so "take over
the lease if its token is still T" cannot be one conditional update there. Every
decision that must be exclusive is therefore an insert with a unique `_id`:

- acquire: insert {_id: key}. A duplicate-key error means someone holds it.
- take over a lease past its expiry (token T): first win the *claim* `key>T` by
  acquiring it as a lease of its own, re-read the lease, and only if it still
  carries T replace it. Only the claim holder may replace a lease with token T,
  and tokens are never reused, so two takers cannot both win. A claim whose
  holder crashed is itself taken over the same way.

Release and abandon change the lease only while it still carries the holder's
token (lianxin.store.engine: atomic on MongoDB, read-then-write by `_id` on FerretDB),
so a holder that was taken over never releases the new holder's lease. One
shortcut on FerretDB: a holder with at least HELD_MARGIN of its lease left
(`surely_held`) deletes it by `_id` alone, and writes its aggregate by `_id`
without reading the fence first (lianxin.store.aggregates), since nobody takes a lease
over before it expires. That saves two of the six commands a change cost there,
and needs a stall of HELD_MARGIN between the clock read and the write or delete
to go wrong, where the token read needs a stall only past what is left of the
lease. It relies on one clock: the embedded FerretDB serves one machine.

A lease left behind (its holder crashed, or it could not publish its outbox)
marks its aggregate as possibly holding unpublished events; `stale()` lists
them for the outbox sweeper.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError
from tenacity import Retrying, retry_if_exception_type, stop_after_delay

from lianxin.backoff import BackOff
from lianxin.store.engine import ConditionalWrites, ConditionFailed

HOLDER = f"{socket.gethostname()}:{os.getpid()}"
CLAIM_SEPARATOR = ">"
HELD_MARGIN = 0.2  # of the TTL: 2 s of a 10 s lease
WAITING = BackOff(base_seconds=0.005, cap_seconds=0.1)  # for a lease another writer holds


class LeaseBusy(Exception):
    """Another writer holds the aggregate; try again shortly."""

    def __init__(self, key: str):
        super().__init__(f"{key} is being changed by another writer")
        self.key = key


@dataclass
class Lease:
    key: str
    token: str
    expires_at: float
    claim: Lease | None = None
    stale_token: str | None = None  # the crashed holder's token, when this lease took over
    document: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def taken_over(self) -> bool:
        return self.stale_token is not None


class Leases:
    def __init__(
        self,
        collection: Collection,
        writes: ConditionalWrites,
        ttl_seconds: float,
        wait_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ):
        self._leases = collection
        self._writes = writes
        self._ttl = ttl_seconds
        self._wait = wait_seconds
        self._clock = clock

    @property
    def ttl_seconds(self) -> float:
        return self._ttl

    def acquire(self, key: str, **meta: Any) -> Lease:
        """Take the lease, waiting with jittered back-off while another writer holds it."""
        for attempt in Retrying(
            retry=retry_if_exception_type(LeaseBusy),
            wait=WAITING.random_wait(),
            stop=stop_after_delay(self._wait),
            reraise=True,
        ):
            with attempt:
                return self.try_acquire(key, **meta)
        raise AssertionError("unreachable")  # pragma: no cover

    def try_acquire(self, key: str, **meta: Any) -> Lease:
        token = uuid.uuid4().hex
        for _ in range(5):
            expires_at = self._clock() + self._ttl
            document = {
                "_id": key,
                "token": token,
                "expires_at": expires_at,
                "holder": HOLDER,
                **meta,
            }
            try:
                self._leases.insert_one(document)
                return Lease(key, token, expires_at, document=document)
            except DuplicateKeyError:
                pass
            current = self._leases.find_one({"_id": key})
            if current is None:
                continue  # released between our insert and our read
            if current["expires_at"] > self._clock():
                raise LeaseBusy(key)
            lease = self._take_over(key, current["token"], document, meta)
            if lease is not None:
                return lease
        raise LeaseBusy(key)

    def _take_over(
        self, key: str, stale_token: str, document: dict, meta: dict[str, Any]
    ) -> Lease | None:
        claim = self.try_acquire(f"{key}{CLAIM_SEPARATOR}{stale_token}", **meta)
        try:
            self._writes.replace_if(self._leases, key, "token", stale_token, document)
        except ConditionFailed:
            self.release(claim)  # someone else already took it over, or it was released
            return None
        return Lease(key, document["token"], document["expires_at"], claim, stale_token, document)

    def release(self, lease: Lease) -> None:
        if self.surely_held(lease):
            self._leases.delete_one({"_id": lease.key})
        else:
            self._writes.delete_if(self._leases, lease.key, "token", lease.token)
        if lease.claim is not None:
            self.release(lease.claim)

    def abandon(self, lease: Lease) -> None:
        """Give the lease up but leave it behind, expired, so the sweeper finishes the work."""
        with contextlib.suppress(ConditionFailed):  # taken over: the new holder finishes it
            self._writes.replace_if(
                self._leases, lease.key, "token", lease.token, {**lease.document, "expires_at": 0.0}
            )
        if lease.claim is not None:
            self.release(lease.claim)

    def remaining(self, lease: Lease) -> float:
        return lease.expires_at - self._clock()

    def surely_held(self, lease: Lease) -> bool:
        """On FerretDB, whose token and fence checks are reads of their own: far enough
        from expiry that no one can have taken the lease over, so the check may be
        skipped. Never on MongoDB, which checks them atomically in the write itself."""
        if self._writes.engine.atomic_conditional_writes:
            return False
        return self.remaining(lease) >= self._ttl * HELD_MARGIN

    def collections_behind(self) -> set[str]:
        """The aggregate collections with a lease past expiry (a claim counts too: it may
        need forgetting), from one read of the whole leases collection: the outbox
        sweep's first look, so that a quiet service costs one command a sweep."""
        now = self._clock()
        found = self._leases.find({}, {"collection": 1, "expires_at": 1})
        return {lease.get("collection") for lease in found if lease["expires_at"] <= now}

    def stale(self, **meta: Any) -> list[dict]:
        """Leases past expiry, excluding claims. The collection holds only in-flight and
        abandoned leases, so a full read of it stays small on every engine."""
        now = self._clock()
        return [
            doc
            for doc in self._leases.find(meta)
            if doc["expires_at"] <= now and CLAIM_SEPARATOR not in doc["_id"]
        ]

    def forget_spent_claims(self, **meta: Any) -> int:
        """Delete claims whose takeover is over (the taker crashed after it): nothing reads
        them again. Returns how many went."""
        now = self._clock()
        forgotten = 0
        for claim in self._leases.find(meta):
            if CLAIM_SEPARATOR not in claim["_id"] or claim["expires_at"] > now:
                continue
            key, _, token = claim["_id"].rpartition(CLAIM_SEPARATOR)
            lease = self._leases.find_one({"_id": key})
            if lease is None or lease["token"] != token:
                forgotten += self._writes.delete_if(
                    self._leases, claim["_id"], "token", claim["token"]
                )
        return forgotten
