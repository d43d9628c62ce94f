"""The OpenAPI document of a service, generated from its route declarations.

Each route declares the marshmallow schemas it validates with (`body`, `form`,
`query`) and answers with (`responses`), and the errors it can raise; the same
declarations build its operation, so what is documented is what is enforced. A route
of another kind than the JSON API's (Open311) builds its own operation; this module
gathers every route's into one document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from lianxin.access.keys import KEY_HEADER
from lianxin.access.tokens import PERSON_HEADER


@dataclass(frozen=True)
class MediaType:
    """A response that is not JSON, e.g. `responses={200: MediaType("text/csv")}`."""

    mimetype: str


CSV = MediaType("text/csv")
HTML = MediaType("text/html")

PERSON_PARAMETER = {
    "in": "header",
    "name": PERSON_HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 2000},
    "description": "A person token: who acts through this key (volunteer and staff actions).",
}
PATH_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "Invalid request: see error.fields",
    401: "No valid API key (or person token)",
    403: "Not allowed for this key or person",
    404: "Not found",
    409: "Not possible in the current state",
    410: "Gone: expired",
    413: "Body too large",
    415: "The body must be application/json",
    422: "Request conflicts with an earlier one",
    503: "Busy, or the database is unavailable: retry after Retry-After seconds",
}


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    state = fields.String(metadata={"description": "the current state (409 only)"})
    field_errors = fields.Dict(
        data_key="fields", metadata={"description": "field name → list of problems (400 only)"}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class DocumentedRoute(Protocol):
    """What the document reads of a route (lianxin.http.entrypoint.HttpRoute)."""

    method: str
    url: str
    documented: bool

    def documented_path(self) -> str: ...
    def operation(self, path: str) -> dict[str, Any]: ...


class JsonRoute(Protocol):
    """What a JSON route's operation is built from."""

    summary: str
    scope: str | tuple[str, ...] | None
    public: bool
    body: type[Schema] | None
    form: type[Schema] | None
    upload: type[Schema] | None
    query: type[Schema] | None
    responses: dict[int, Any]
    headers: list[dict[str, Any]]
    errors: dict[type[BaseException], tuple[int | None, str]]
    raises: tuple[type[BaseException], ...] | None
    uses_database: bool


def document(service_cls: type, title: str, version: str = "1.0.0") -> dict[str, Any]:
    spec = APISpec(
        title=title, version=version, openapi_version="3.0.3", plugins=[MarshmallowPlugin()]
    )
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.security_scheme(
        "apiKey",
        {
            "type": "apiKey",
            "in": "header",
            "name": KEY_HEADER,
            "description": "An integration's key, `lx_<id>_<secret>`; "
            "also accepted as `Authorization: ApiKey <key>`.",
        },
    )
    for route in _routes(service_cls):
        path = route.documented_path()
        operations = {method.lower(): route.operation(path) for method in route.method.split(",")}
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _routes(service_cls: type) -> list[DocumentedRoute]:
    """The service's documented routes: its entrypoints that document themselves."""
    found = []
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if getattr(entrypoint, "documented", False):
                found.append(entrypoint)
    return sorted(found, key=lambda route: (route.url, route.method))


def path_of(url: str) -> str:
    """A werkzeug rule as an OpenAPI path: `/v1/cases/<case_id>` is `/v1/cases/{case_id}`."""
    return PATH_PARAMETER.sub(r"{\1}", url)


def json_operation(route: JsonRoute, path: str) -> dict[str, Any]:
    """A JSON route's operation: its parameters, body and answers from its schemas, and
    every status it can answer with from its scope, its input and its errors."""
    operation: dict[str, Any] = {"summary": route.summary, "responses": {}}
    parameters = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([a-z_]+)}", path)
    ]
    if route.query is not None:
        parameters.append({"in": "query", "schema": route.query})
    if route.headers:
        parameters.extend(route.headers)
    if route.scope is not None:
        # a public route also answers without a key: anonymous is one of its ways in
        operation["security"] = [{}, {"apiKey": []}] if route.public else [{"apiKey": []}]
        scopes = (route.scope,) if isinstance(route.scope, str) else route.scope
        named = " or ".join(f"`{scope}`" for scope in scopes)
        operation["description"] = (
            f"Without a key: what the public may see; a key needs the {named} scope."
            if route.public
            else f"Needs a key with the {named} scope."
        )
        parameters.append(PERSON_PARAMETER)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": route.body}},
        }
    if route.form is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {"schema": route.form},
                "application/json": {"schema": route.form},
            },
        }
    if route.upload is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": route.upload}},
        }
    for status, schema in route.responses.items():
        if isinstance(schema, MediaType):
            content = {schema.mimetype: {"schema": {"type": "string"}}}
        else:
            content = {"application/json": {"schema": schema}} if schema is not None else None
        operation["responses"][str(status)] = {"description": STATUS_TEXT.get(status, "")}
        if content:
            operation["responses"][str(status)]["content"] = content
    for status in sorted(_error_statuses(route) - set(route.responses)):
        operation["responses"][str(status)] = {
            "description": STATUS_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": "Error"}},
        }
    return operation


def _error_statuses(route: JsonRoute) -> set[int]:
    if route.raises is None:
        statuses = {status for status, _ in route.errors.values() if status is not None}
    else:
        statuses = {
            status
            for kind, (status, _) in route.errors.items()
            if status is not None and any(issubclass(error, kind) for error in route.raises)
        }
    bodies = (route.body, route.form, route.upload)
    if any(body is not None for body in (*bodies, route.query)):
        statuses.add(400)
    if any(body is not None for body in bodies):
        statuses.update({413, 415})
    if route.scope is not None:
        statuses.update({401, 403})
    if route.uses_database:
        statuses.add(503)
    return statuses
