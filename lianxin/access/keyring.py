"""Verifying a request's credentials: its key, and the person a token or key names.

Keys and people are read by `_id` on every request, from the service's own collections
(the owner's keys, or the replica of them; the replica of the people's access), with a
short cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from nameko.extensions import SharedExtension
from pymongo import MongoClient
from pymongo.collection import Collection

from lianxin.access.actors import Actor, Unauthenticated
from lianxin.access.keys import KEYS_COLLECTION, KeyRecord, parse_key
from lianxin.access.person_access import PERSON_ACCESS_COLLECTION, PersonAccess, refusal
from lianxin.access.tokens import PersonTokens, combine
from lianxin.config import DEV_TOKEN_SECRET, Settings

CACHE_SECONDS = 2.0  # how long a revoked key may still pass, at most, once its event is in


class RecentReads:
    """Documents read by `_id`, kept CACHE_SECONDS: how long a revocation, a deactivation
    or a change of role may still go unnoticed once its event is in, at most."""

    def __init__(self, collection: Collection, parse: Callable[[Mapping[str, Any]], Any]):
        self._collection = collection
        self._parse = parse
        self._cache: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        document = self._collection.find_one({"_id": key})
        found = self._parse(document) if document else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found


class KeyRing(SharedExtension):
    """Verifies keys against the service's own `api_keys` collection, and the person a
    token or key names against its `person_access` replica, both by `_id`. The one
    client of the process for access: the replica's writes use it too."""

    client: MongoClient | None = None

    def setup(self) -> None:
        self.open()

    def open(self) -> None:
        """Idempotent: nameko sets extensions up concurrently, and the replica's store may
        need the client before this extension's own setup has run."""
        if self.client is not None:
            return
        self.settings = Settings.from_config(self.container.service_name, self.container.config)
        self.client = MongoClient(
            self.settings.mongo_uri,
            serverSelectionTimeoutMS=self.settings.mongo_timeout_ms,
            connect=False,
            tz_aware=True,
        )
        self.database = self.client[self.settings.database]
        self._keys = RecentReads(self.database[KEYS_COLLECTION], KeyRecord.from_document)
        self._people = RecentReads(
            self.database[PERSON_ACCESS_COLLECTION], PersonAccess.from_document
        )
        self._tokens = PersonTokens(
            self.settings.secret("TOKEN_SECRET", self.settings.token_secret, DEV_TOKEN_SECRET)
        )
        self._token_max_age = self.settings.person_token_max_age_seconds

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()

    def authenticate(self, key_text: str | None, person_token: str | None = None) -> Actor:
        if not key_text:
            raise Unauthenticated("An API key is required (X-Api-Key).")
        parsed = parse_key(key_text)
        record = self._keys.get(parsed[0]) if parsed else None
        if parsed is None or record is None or not record.matches(parsed[1]):
            raise Unauthenticated("The API key is not valid.")
        if record.revoked_at is not None:
            raise Unauthenticated("The API key has been revoked.")
        actor = record.actor()
        if record.person_id is not None:
            self.admit(record.person_id, record.role, record.created_at)
        if person_token:
            claims = self._tokens.verify(person_token, self._token_max_age)
            self.admit(claims.person_id, claims.role, claims.issued_at)
            actor = combine(actor, claims)
        return actor

    def person(self, person_id: str) -> PersonAccess | None:
        return self._people.get(person_id)

    def admit(self, person_id: str, role: str | None, issued_at: datetime | None) -> None:
        """Raise Unauthenticated unless a credential naming this person as `role`, issued
        at `issued_at`, still stands (lianxin.access.person_access.refusal)."""
        reason = refusal(self.person(person_id), role, issued_at)
        if reason is not None:
            raise Unauthenticated(reason)
