"""Key administration over HTTP (admin scope): the keys every service accepts, and the
person tokens that say who acts through an integration's key."""

from __future__ import annotations

from lianxin.clock import utc_now
from lianxin.lease import LeaseBusy
from services.cases import keys
from services.cases.http import http
from services.cases.schemas import (
    IssuedKeySchema,
    KeyListSchema,
    KeyRequestSchema,
    KeySchema,
    PersonTokenRequestSchema,
    PersonTokenSchema,
)


class KeysHttp:
    """Key administration (admin scope): the keys every service accepts."""

    @http(
        "POST",
        "/v1/keys",
        summary="Issue an API key; the key is in this answer only",
        body=KeyRequestSchema,
        responses={201: IssuedKeySchema},
        raises=(LeaseBusy,),
        scope="admin",
    )
    def issue_key(self, request, actor, body):
        record, issued = keys.issue(
            self.store.keys,
            body["name"],
            body["scopes"],
            body["communities"],
            utc_now(),
            person_id=body.get("person_id"),
            role=body.get("role"),
        )
        return 201, IssuedKeySchema().dump({**keys.describe(record), "key": issued.text})

    @http(
        "GET",
        "/v1/keys",
        summary="Every key, newest first (no secrets)",
        responses={200: KeyListSchema},
        raises=(),
        scope="admin",
    )
    def list_keys(self, request, actor):
        listed = [keys.describe(record) for record in self.store.keys.all()]
        return 200, KeyListSchema().dump({"keys": listed})

    @http(
        "POST",
        "/v1/keys/<string:key_id>/revoke",
        summary="Revoke a key, for good; every service refuses it within seconds",
        responses={200: KeySchema},
        raises=(keys.KeyNotFound, LeaseBusy),
        scope="admin",
    )
    def revoke_key(self, request, actor, key_id):
        return 200, KeySchema().dump(keys.describe(keys.revoke(self.store.keys, key_id, utc_now())))

    @http(
        "POST",
        "/v1/person-tokens",
        summary="A signed, expiring token naming who acts through an integration's key",
        body=PersonTokenRequestSchema,
        responses={201: PersonTokenSchema},
        raises=(),
        scope="admin",
        uses_database=False,
    )
    def issue_person_token(self, request, actor, body):
        token = keys.person_token(
            self.tokens.tokens, body["person_id"], body["role"], body["communities"]
        )
        return 201, {"token": token, "expires_in": self.tokens.max_age_seconds}
