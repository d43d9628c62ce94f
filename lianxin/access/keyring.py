"""Verifying a request's credentials: its key, and the person a token or key names.

Keys and people are read by `_id` on every request, from the service's own collections
(the owner's keys, or the replica of them; the replica of the people's access), with a
short cache (lianxin.access.store).
"""

from __future__ import annotations

from datetime import datetime

from nameko.extensions import SharedExtension

from lianxin.access.actors import Actor, Unauthenticated
from lianxin.access.keys import KEYS_COLLECTION, KeyRecord, parse_key
from lianxin.access.person_access import PERSON_ACCESS_COLLECTION, PersonAccess, refusal
from lianxin.access.store import RecentReads
from lianxin.access.tokens import PersonTokens, combine
from lianxin.config import DEV_TOKEN_SECRET
from lianxin.store.database import ServiceDatabase


class KeyRing(SharedExtension):
    """Verifies keys against the service's own `api_keys` collection, and the person a
    token or key names against its `person_access` replica, both by `_id`, on the
    process's one client (ServiceDatabase)."""

    database = ServiceDatabase()

    def setup(self) -> None:
        self.database.open()
        database, settings = self.database.database, self.database.settings
        self._keys = RecentReads(database[KEYS_COLLECTION], KeyRecord.from_document)
        self._people = RecentReads(database[PERSON_ACCESS_COLLECTION], PersonAccess.from_document)
        self._tokens = PersonTokens(
            settings.secret("TOKEN_SECRET", settings.token_secret, DEV_TOKEN_SECRET)
        )
        self._token_max_age = settings.person_token_max_age_seconds

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
