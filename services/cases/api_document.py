"""The cases service's OpenAPI document: the JSON routes, as lianxin.http.openapi builds them,
and the Open311 routes, whose form bodies, XML answers and error arrays the shared
builder does not speak. A generated client and a fuzzer read both from one document.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from lianxin.http import openapi
from lianxin.http.entrypoint import JsonHttp
from services.cases.open311 import FORMATS, MEDIA_TYPES
from services.cases.open311_http import Open311Route

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


ANSWERS: dict[str, tuple[type[Schema], bool]] = {  # root element → schema, is a list
    "discovery": (Open311DiscoverySchema, False),
    "services": (Open311ServiceSchema, True),
    "service_definition": (Open311DefinitionSchema, False),
}
TOKEN = "open311_token"
IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
    "description": "Beyond the spec: a retry with the same key returns the same request.",
}  # the one GET that answers tokens, not requests


def document(service_cls: type, title: str) -> dict[str, Any]:
    shared = openapi.document(service_cls, title=title)
    spec = APISpec(
        title=title, version="1.0.0", openapi_version="3.0.3", plugins=[MarshmallowPlugin()]
    )
    spec.components.schema("Open311Error", schema=Open311ErrorSchema)
    for name, route in _routes(service_cls):
        path = openapi.PATH_PARAMETER.sub(r"{\1}", route.url.replace(_FORMAT_RULE, "<fmt>"))
        spec.path(path=path, operations={route.method.lower(): _operation(name, route, path)})
    extra = spec.to_dict()
    shared["paths"].update(extra["paths"])
    shared.setdefault("components", {}).setdefault("schemas", {}).update(
        extra["components"]["schemas"]
    )
    return shared


_FORMAT_RULE = f"<any({', '.join(FORMATS)}):fmt>"


def _routes(service_cls: type) -> list[tuple[str, Open311Route]]:
    found = []
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, Open311Route) and entrypoint.documented:
                found.append((name, entrypoint))
    return sorted(found, key=lambda pair: (pair[1].url, pair[1].method))


def _operation(name: str, route: Open311Route, path: str) -> dict[str, Any]:
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
    operation: dict[str, Any] = {"summary": route.summary, "tags": ["Open311 GeoReport v2"]}
    if route.method == "POST":
        parameters.append(IDEMPOTENCY_HEADER)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": route.params}},
        }
    else:
        parameters.append({"in": "query", "schema": route.params})
    if route.public:
        operation["description"] = (
            f"With an api_key (`{route.scope}` scope): the key's communities, masked but for "
            "an admin's. Without one: the public view, masked, without tokens, never a private "
            "category (disputes, care); a listing needs jurisdiction_id and answers 50 rows "
            "over 90 days at most."
        )
    elif route.scope:
        operation["description"] = f"Needs an api_key with the `{route.scope}` scope."
    operation["parameters"] = parameters
    operation["responses"] = {
        str(status): _response(name, route, status)
        for status in sorted(set(route.statuses) | {400, 404})  # 404: an unknown format
    }
    return operation


def _response(name: str, route: Open311Route, status: int) -> dict[str, Any]:
    if status == 414:  # eventlet's own answer, before any route: no body
        return {"description": STATUS_TEXT[status]}
    if status >= 400:
        schema: Any = {"type": "array", "items": "Open311Error"}
    elif route.method == "POST":
        schema = {"type": "array", "items": Open311CreatedSchema}
    elif name == TOKEN:
        schema = {"type": "array", "items": Open311TokenSchema}
    elif route.root in ANSWERS:
        answer, is_list = ANSWERS[route.root]
        schema = {"type": "array", "items": answer} if is_list else answer
    else:
        schema = {"type": "array", "items": Open311RequestSchema}
    return {
        "description": STATUS_TEXT.get(status, ""),
        "content": {
            MEDIA_TYPES["json"]: {"schema": schema},
            MEDIA_TYPES["xml"]: {"schema": {"type": "string"}},
        },
    }


class CasesDocument:
    """Replaces the shared `/v1/openapi.json` route with the one that knows Open311."""

    name: str

    @JsonHttp.decorator(
        "GET", "/v1/openapi.json", summary="This OpenAPI document", raises=(), uses_database=False
    )
    def openapi_document(self, request):
        return 200, document(type(self), title=f"Lianxin {self.name} API")
