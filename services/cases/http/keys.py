"""Access over HTTP: the keys every service accepts (admin scope) and the person tokens
that say who acts through an integration's key (tokens scope). What a caller grants,
sees or revokes stays within what it holds (app/keys.py)."""

from __future__ import annotations

from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.cases.app import keys
from services.cases.http.errors import http
from services.cases.http.schemas import (
    IssuedKeySchema,
    KeyListSchema,
    KeyRequestSchema,
    KeySchema,
    PersonTokenRequestSchema,
    PersonTokenSchema,
)
from services.cases.store import KeyNotFound


class KeysHttp:
    """Key administration and person tokens: the caller's own limits bound both."""

    @http(
        "POST",
        "/v1/keys",
        summary="Issue an API key, within the caller's own scopes, communities and channels; "
        "the key is in this answer only",
        body=KeyRequestSchema,
        responses={201: IssuedKeySchema},
        raises=(keys.UnknownPerson, LeaseBusy),
        scope="admin",
    )
    def issue_key(self, request, actor, body):
        now = utc_now()
        wanted = keys.Grant.of(
            body["name"],
            body["scopes"],
            body["communities"],
            body.get("channels"),
            body.get("hotline_id"),
            body.get("person_id"),
            body.get("role"),
        )
        person = self.access_replica.person(wanted.person_id) if wanted.person_id else None
        record, issued = keys.issue(self.parts.keys, keys.vetted(actor, wanted, person, now), now)
        return 201, IssuedKeySchema().dump({**keys.describe(record), "key": issued.text})

    @http(
        "GET",
        "/v1/keys",
        summary="The keys within the caller's communities, newest first (no secrets)",
        responses={200: KeyListSchema},
        raises=(),
        scope="admin",
    )
    def list_keys(self, request, actor):
        listed = [keys.describe(record) for record in keys.listing(self.parts.keys, actor)]
        return 200, KeyListSchema().dump({"keys": listed})

    @http(
        "POST",
        "/v1/keys/<string:key_id>/revoke",
        summary="Revoke a key within the caller's communities, for good; every service "
        "refuses it within seconds",
        responses={200: KeySchema},
        raises=(KeyNotFound, LeaseBusy),
        scope="admin",
    )
    def revoke_key(self, request, actor, key_id):
        revoked = keys.revoke(self.parts.keys, key_id, utc_now(), actor)
        return 200, KeySchema().dump(keys.describe(revoked))

    @http(
        "POST",
        "/v1/person-tokens",
        summary="A signed, expiring token naming who acts through an integration's key: an "
        "active person of the roster, with a role they hold, in the caller's communities",
        body=PersonTokenRequestSchema,
        responses={201: PersonTokenSchema},
        raises=(keys.UnknownPerson,),
        scope="tokens",
    )
    def issue_person_token(self, request, actor, body):
        token = keys.person_token(
            self.tokens.tokens,
            actor,
            self.access_replica.person(body["person_id"]),
            body["role"],
            body["communities"],
            utc_now(),
        )
        return 201, {"token": token, "expires_in": self.tokens.max_age_seconds}
