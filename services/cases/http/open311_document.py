"""How an Open311 route is documented in the cases service's OpenAPI document: its form
body, its answers in JSON or XML, and the spec's error arrays, which the JSON API's
operation (lianxin.http.openapi) does not speak. Each Open311 route (http/open311.py)
builds its operation here; the shared document gathers it with the JSON routes', so a
generated client and a fuzzer read both from one document.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from marshmallow import Schema, fields

from services.cases.domain.open311 import FORMATS, MEDIA_TYPES

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "Invalid request",
    403: "api_key missing, not valid, or not allowed to do this",
    404: "Not found",
    413: "Body too large",
    414: "The request line is over 8 KiB",
    415: "The body must be form-encoded",
    503: "Busy, or the database is unavailable: retry after Retry-After seconds",
}


class Open311ErrorSchema(Schema):
    code = fields.Integer(required=True)
    description = fields.String(required=True)


class Open311ServiceSchema(Schema):
    service_code = fields.String(required=True)
    service_name = fields.String(required=True)
    description = fields.String()
    metadata = fields.Boolean(required=True)
    type = fields.String(metadata={"enum": ["realtime", "batch", "blackbox"]})
    keywords = fields.String()
    group = fields.String()


class Open311ValueSchema(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)


class Open311AttributeSchema(Schema):
    variable = fields.Boolean()
    code = fields.String(required=True)
    datatype = fields.String(required=True)
    required = fields.Boolean()
    datatype_description = fields.String()
    order = fields.Integer()
    description = fields.String()
    values = fields.List(fields.Nested(Open311ValueSchema))


class Open311DefinitionSchema(Schema):
    service_code = fields.String(required=True)
    attributes = fields.List(fields.Nested(Open311AttributeSchema))


class Open311RequestSchema(Schema):
    service_request_id = fields.String(required=True)
    token = fields.String()
    status = fields.String(required=True, metadata={"enum": ["open", "closed"]})
    status_notes = fields.String(allow_none=True)
    service_name = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    agency_responsible = fields.String(allow_none=True)
    service_notice = fields.String(allow_none=True)
    requested_datetime = fields.String(allow_none=True)
    updated_datetime = fields.String(allow_none=True)
    expected_datetime = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_id = fields.String(allow_none=True)
    zipcode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    media_url = fields.String(allow_none=True)


class Open311CreatedSchema(Schema):
    service_request_id = fields.String(required=True)
    token = fields.String()
    service_notice = fields.String(allow_none=True)
    account_id = fields.String(allow_none=True)


class Open311TokenSchema(Schema):
    service_request_id = fields.String(required=True)
    token = fields.String(required=True)


class Open311EndpointSchema(Schema):
    specification = fields.String()
    url = fields.String()
    changeset = fields.String()
    type = fields.String()
    formats = fields.List(fields.String())


class Open311DiscoverySchema(Schema):
    changeset = fields.String()
    contact = fields.String()
    key_service = fields.String()
    endpoints = fields.List(fields.Nested(Open311EndpointSchema))


def listed(schema: type[Schema]) -> dict[str, Any]:
    """An answer that is a list of `schema`, as Open311 answers most."""
    return {"type": "array", "items": schema}


IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
    "description": "Beyond the spec: a retry with the same key returns the same request.",
}
ERRORS = listed(Open311ErrorSchema)


class Open311Declaration(Protocol):
    """What an Open311 route declares (http.open311.Open311Route)."""

    method: str
    summary: str
    params: type[Schema]
    answer: Any
    scope: str | None
    public: bool
    statuses: tuple[int, ...]


def operation(route: Open311Declaration, path: str) -> dict[str, Any]:
    """The route's operation: its format and path parameters, its parameters (a form for
    a POST, the query otherwise), its answer and its error arrays."""
    parameters: list[dict[str, Any]] = [
        {
            "in": "path",
            "name": "fmt",
            "required": True,
            "schema": {"type": "string", "enum": list(FORMATS)},
        }
    ]
    parameters += [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([a-z_]+)}", path)
        if name != "fmt"
    ]
    found: dict[str, Any] = {"summary": route.summary, "tags": ["Open311 GeoReport v2"]}
    if route.method == "POST":
        parameters.append(IDEMPOTENCY_HEADER)
        found["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": route.params}},
        }
    else:
        parameters.append({"in": "query", "schema": route.params})
    if route.public:
        found["description"] = (
            f"With an api_key (`{route.scope}` scope): the key's communities, masked but for "
            "an admin's. Without one: the public view, masked, without tokens, never a private "
            "category (disputes, care); a listing needs jurisdiction_id and answers 50 rows "
            "over 90 days at most."
        )
    elif route.scope:
        found["description"] = f"Needs an api_key with the `{route.scope}` scope."
    found["parameters"] = parameters
    found["responses"] = {
        str(status): _response(route, status)
        for status in sorted(set(route.statuses) | {400, 404})  # 404: an unknown format
    }
    return found


def _response(route: Open311Declaration, status: int) -> dict[str, Any]:
    if status == 414:  # eventlet's own answer, before any route: no body
        return {"description": STATUS_TEXT[status]}
    return {
        "description": STATUS_TEXT.get(status, ""),
        "content": {
            MEDIA_TYPES["json"]: {"schema": ERRORS if status >= 400 else route.answer},
            MEDIA_TYPES["xml"]: {"schema": {"type": "string"}},
        },
    }
