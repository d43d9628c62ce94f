"""HTTP entrypoints of the cases service and its error → status table."""

from __future__ import annotations

import re

from marshmallow import ValidationError

from lianxin.clock import utc_now
from lianxin.lease import LeaseBusy
from lianxin.web import route
from services.cases import handlers, keys
from services.cases.domain import (
    CaseNotFound,
    InvalidTransition,
    NotAssignee,
    UnknownCategory,
)
from services.cases.schemas import (
    AcceptSchema,
    CaseIntakeSchema,
    CaseSchema,
    IssuedKeySchema,
    KeyListSchema,
    KeyRequestSchema,
    KeySchema,
    PersonTokenRequestSchema,
    PersonTokenSchema,
    ResolveSchema,
)

ERRORS = {
    UnknownCategory: (400, "invalid_request"),
    keys.KeyNotFound: (404, "not_found"),
    NotAssignee: (403, "not_assignee"),
    CaseNotFound: (404, "not_found"),
    InvalidTransition: (409, "invalid_transition"),
    handlers.IdempotencyKeyReused: (422, "idempotency_key_reused"),
}
http = route(ERRORS)
CASE_ID = re.compile(r"^LX-[0-9A-F]{16}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


ACTION_ERRORS = (NotAssignee, CaseNotFound, InvalidTransition, LeaseBusy)
IDEMPOTENCY_HEADERS = [
    {
        "in": "header",
        "name": "Idempotency-Key",
        "required": False,
        "schema": {"type": "string", "maxLength": 200},
        "description": "A retry with the same key returns the same case (200).",
    },
    {"in": "header", "name": "X-Correlation-Id", "required": False, "schema": {"type": "string"}},
]


class CasesHttp:
    @http(
        "POST",
        "/v1/cases",
        summary="Report a problem",
        body=CaseIntakeSchema,
        responses={201: CaseSchema, 200: CaseSchema},
        headers=IDEMPOTENCY_HEADERS,
        raises=(UnknownCategory, handlers.IdempotencyKeyReused, LeaseBusy),
    )
    def create_case(self, request, body):
        case, created = handlers.report(
            self.store,
            body,
            _idempotency_key(request),
            request.headers.get("X-Correlation-Id"),
            utc_now(),
        )
        headers = {"Location": f"/v1/cases/{case.id}"}
        return (201 if created else 200), headers, CaseSchema().dump(case)

    @http(
        "GET",
        "/v1/cases/<string:case_id>",
        summary="A case, with its timeline",
        responses={200: CaseSchema},
        raises=(CaseNotFound,),
    )
    def get_case(self, request, case_id):
        return 200, CaseSchema().dump(handlers.get(self.store, _case_id(case_id)))

    @http(
        "POST",
        "/v1/cases/<string:case_id>/accept",
        summary="The offered volunteer accepts",
        body=AcceptSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
    )
    def accept_case(self, request, case_id, body):
        case = handlers.accept(self.store, _case_id(case_id), body, utc_now())
        return 200, CaseSchema().dump(case)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/resolve",
        summary="The volunteer resolves it",
        body=ResolveSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
    )
    def resolve_case(self, request, case_id, body):
        case = handlers.resolve(self.store, _case_id(case_id), body, utc_now())
        return 200, CaseSchema().dump(case)


def _case_id(raw: str) -> str:
    if not CASE_ID.match(raw):
        raise CaseNotFound(raw)
    return raw


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise ValidationError({"Idempotency-Key": ["Use 1–200 printable ASCII characters."]})
    return key


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
