"""HTTP entrypoints of the cases service and its error → status table."""

from __future__ import annotations

import re

from marshmallow import ValidationError

from lianxin.clock import utc_now
from lianxin.lease import LeaseBusy
from lianxin.web import route
from services.cases import handlers
from services.cases.domain import (
    CaseNotFound,
    InvalidTransition,
    NotAssignee,
    UnknownCategory,
)
from services.cases.schemas import AcceptSchema, CaseIntakeSchema, CaseSchema, ResolveSchema

ERRORS = {
    UnknownCategory: (400, "invalid_request"),
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
