"""The Open311 route: a variant of the entrypoint every route shares
(lianxin.http.entrypoint), which authenticates, maps errors, logs and counts as for any
route; only where the key comes from (`api_key`, or the X-Api-Key header), how the
parameters are read (query or form, validated by their schema), and how answers, errors
(the spec's error arrays, its statuses) and the route's documentation look are Open311's
own. The routes themselves are in http/open311.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from lianxin.access.actors import Forbidden, Unauthenticated
from lianxin.access.keys import key_from_headers
from lianxin.http import openapi
from lianxin.http.entrypoint import HttpRoute
from lianxin.http.errors import ErrorTable, Failure, UnsupportedMediaType
from lianxin.http.reading import FORM_TYPES, refused_text
from lianxin.http.responses import NO_SNIFFING, json_response
from services.cases.app.intake import IdempotencyKeyReused
from services.cases.domain import open311
from services.cases.domain.areas import UnknownArea
from services.cases.domain.case import CaseNotFound, InvalidRequest
from services.cases.domain.open311 import FORMATS, MEDIA_TYPES, Open311Error
from services.cases.domain.triage import UnknownCategory
from services.cases.http import open311_document
from services.cases.http.schemas import CATEGORY, CODE, SLUG, URL

FORMAT = f"<any({', '.join(FORMATS)}):fmt>"
BASE = "/open311/v2"
MEDIA_PATH = f"{BASE}/media"  # the photos of requests, their `media_url` (http/photos.py)
# What the spec calls a bad request (400): all a request can say wrong, a reused key too
BAD_REQUESTS = (UnknownArea, UnknownCategory, InvalidRequest, IdempotencyKeyReused)
# The spec's statuses: a missing, unknown or insufficient key is its 403 (it has no 401)
OPEN311_ERRORS: ErrorTable = {
    Open311Error: (None, "open311"),  # its own status
    Unauthenticated: (403, "forbidden"),
    Forbidden: (403, "forbidden"),
    **{refused: (400, "invalid_request") for refused in BAD_REQUESTS},
    CaseNotFound: (404, "not_found"),
}
DESCRIPTIONS = {  # by code: what the spec's error array says instead of the error's text
    "forbidden": "api_key was not provided, is not valid, or may not do this.",
    "busy": "Busy; retry shortly.",
}


class Params(Schema):
    """What every Open311 call may carry; the routes that need more add to it."""

    class Meta:
        unknown = EXCLUDE  # Open311 clients send what their platform sends

    api_key = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the integration's key (or send it as X-Api-Key)"},
    )
    jurisdiction_id = fields.String(validate=SLUG, metadata={"description": "the community"})

    @pre_load
    def blanks_are_absent(self, data, **kwargs):
        return {key: value for key, value in data.items() if value != ""}


class RequestForm(Params):
    """POST requests: `attribute[code]=value` fields answer the service's attributes."""

    service_code = fields.String(required=True, validate=CATEGORY)
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    long = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)
    address_string = fields.String(validate=validate.Length(min=1, max=200))
    address_id = fields.String(validate=CODE)
    email = fields.Email(validate=validate.Length(max=200))
    device_id = fields.String(validate=validate.Length(max=100))
    account_id = fields.String(validate=validate.Length(max=100))
    first_name = fields.String(validate=validate.Length(max=50))
    last_name = fields.String(validate=validate.Length(max=50))
    phone = fields.String(
        validate=validate.Regexp(r"^\+?[\d\s()-]{5,30}$", error="A phone number.")
    )
    description = fields.String(validate=validate.Length(min=1, max=4000))
    media_url = fields.String(validate=[URL, validate.Length(max=500)])

    @validates_schema
    def somewhere(self, data, **kwargs):
        if ("lat" in data) != ("long" in data):
            raise ValidationError("Give both lat and long.", "lat")
        if not ({"lat", "address_string", "address_id"} & set(data)):
            raise ValidationError("Give lat and long, address_string or address_id.", "lat")


class RequestsQuery(Params):
    service_request_id = fields.String(validate=validate.Length(max=2000))
    service_code = fields.String(validate=validate.Length(max=2000))
    start_date = fields.AwareDateTime(default_timezone=UTC)
    end_date = fields.AwareDateTime(default_timezone=UTC)
    status = fields.String(validate=validate.Regexp(r"^(open|closed)(,(open|closed))?$"))


class Open311Route(HttpRoute):
    """One Open311 route, on the pipeline every route shares (lianxin.http.entrypoint): its
    parameters from the query or the form (form-encoded only), validated by `params`; the
    key from `api_key` (or the X-Api-Key header); the answer in JSON, or in XML under
    `root`, as the path's suffix asks; errors as the spec's arrays. `answer` is the JSON
    schema of a success, `statuses` what the route can answer, for its documentation."""

    too_large = "The request is over {limit} bytes."

    def __init__(
        self,
        method: str,
        url: str,
        *,
        summary: str,
        params: type[Schema],
        root: str,
        answer: Any = None,
        scope: str | None = None,
        public: bool = False,
        statuses: tuple[int, ...] = (200,),
        documented: bool = True,
        **kwargs,
    ):
        """`scope` is what a key must allow; with `public`, a call without a key is made
        too, with `actor` None (the public view)."""
        self.params = params
        self.root = root
        self.answer = answer
        self.statuses = statuses
        super().__init__(
            method,
            url,
            OPEN311_ERRORS,
            summary=summary,
            scope=scope,
            public=public,
            documented=documented,
            **kwargs,
        )

    def setup(self) -> None:
        super().setup()
        self._params = self.params()

    def credentials(self, request: Request) -> tuple[str | None, str | None]:
        """The spec's `api_key` parameter, or the header; never a person token."""
        return _values(request).get("api_key") or key_from_headers(request.headers), None

    def arguments(self, request: Request) -> dict[str, Any]:
        """The path's values but the format, `params`, the reader's `language`, and for a
        POST the `answers` to the service's attributes. Text with control characters is
        refused in every parameter, as in the JSON API."""
        values = _values(request)
        refused = refused_text({name: v if len(v) > 1 else v[0] for name, v in values.lists()})
        if refused:
            raise ValidationError(refused)
        found = {name: value for name, value in request.path_values.items() if name != "fmt"}
        found["params"] = self._params.load(values.to_dict())
        found["language"] = open311.language(request.headers.get("Accept-Language"))
        if request.method == "POST":
            found["answers"] = open311.form_attributes(values.items(multi=True))
        return found

    def render(
        self, status: int, body: Any, headers: Mapping[str, str] | None, request: Request
    ) -> Response:
        response = _rendered(status, body, _format(request), self.root)
        response.headers.update(headers or {})
        return response

    def render_failure(self, failure: Failure, request: Request) -> Response:
        errors = open311.errors(failure.status, _description(failure))
        response = _rendered(failure.status, errors, _format(request), "errors")
        response.headers.update(failure.headers)
        return response

    def documented_path(self) -> str:
        return openapi.path_of(self.url.replace(FORMAT, "<fmt>"))

    def operation(self, path: str) -> dict[str, Any]:
        return open311_document.operation(self, path)


def _values(request: Request) -> MultiDict:
    """What a call carries: a POST's form, which must be form-encoded, or the query."""
    if request.method != "POST":
        return request.args
    if request.mimetype not in FORM_TYPES:
        raise UnsupportedMediaType("Send the request form-encoded.")
    return request.form


def _format(request: Request) -> str:
    return request.path_values.get("fmt", "json")


def _description(failure: Failure) -> str:
    """The text an error array shows: the fields and their problems for a 400, a fixed
    text for a refused key or a busy case, else what the error says (never a driver's or
    a key's text: lianxin.http.errors)."""
    if "fields" in failure.details:
        return _fields_text(failure.details["fields"])
    return DESCRIPTIONS.get(failure.code, failure.message)


def _fields_text(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{name}: {_fields_text(problem)}" for name, problem in messages.items())
    if isinstance(messages, list):
        return " ".join(_fields_text(problem) for problem in messages)
    return str(messages)


def _rendered(status: int, payload: Any, fmt: str, root: str) -> Response:
    """`payload` in the format asked: XML under `root`, or JSON."""
    if fmt == "xml":
        return Response(
            open311.to_xml(root, payload),
            status=status,
            mimetype=MEDIA_TYPES["xml"],
            headers=NO_SNIFFING,
        )
    return json_response(status, payload)


open311_route = Open311Route.decorator
