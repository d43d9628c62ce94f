"""JSON HTTP entrypoints: bad input gets a 4xx with field errors and never reaches the store.

Each service's http.py declares its error table, e.g.
`{CaseNotFound: (404, "not_found"), InvalidTransition: (409, "invalid_transition")}`,
and decorates entrypoints with `route(ERRORS)("POST", "/v1/...")`. An error may
carry a `details()` dict that is merged into the response (a 409 names the
current state).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from marshmallow import Schema, ValidationError, fields
from nameko.web.handlers import HttpRequestHandler
from pymongo.errors import ConnectionFailure
from werkzeug.wrappers import Response

from lianxin import instrumentation, openapi
from lianxin.aggregates import LeaseExpired, LeaseLost
from lianxin.auth import PERSON_HEADER, Forbidden, KeyRing, Unauthenticated, key_from_headers
from lianxin.config import Settings
from lianxin.consumer import quiet_expected_worker_errors
from lianxin.health import Readiness
from lianxin.lease import LeaseBusy

log = logging.getLogger(__name__)

ErrorTable = Mapping[type[BaseException], tuple[int, str]]


class BodyTooLarge(Exception):
    pass


class UnsupportedMediaType(Exception):
    pass


class DatabaseUnavailable(Exception):
    """What a client is told of a database outage: no host names, no driver text."""

    def __init__(self):
        super().__init__("The database is unavailable; retry shortly.")


BASE_ERRORS: ErrorTable = {
    ValidationError: (400, "invalid_request"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    BodyTooLarge: (413, "body_too_large"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
    LeaseBusy: (503, "busy"),
    LeaseExpired: (503, "busy"),  # the command outran its lease; nothing was written
    LeaseLost: (503, "busy"),  # another writer took the case over; nothing was written
    DatabaseUnavailable: (503, "database_unavailable"),
}
RETRY_AFTER_SECONDS = {"busy": "1", "database_unavailable": "5"}


class JsonHttp(HttpRequestHandler):
    """A JSON route. `body`, `query` and `responses` name the schemas it validates with and
    answers with, `raises` the errors of the table it can answer with (all when None);
    lianxin.openapi builds the service's OpenAPI document from them."""

    def __init__(
        self,
        method: str,
        url: str,
        errors: ErrorTable | None = None,
        *,
        summary: str = "",
        body: type[Schema] | None = None,
        form: type[Schema] | None = None,
        query: type[Schema] | None = None,
        responses: Mapping[int, type[Schema] | None] | None = None,
        headers: list[dict[str, Any]] | None = None,
        raises: tuple[type[BaseException], ...] | None = None,
        documented: bool = True,
        uses_database: bool = True,
        scope: str | None = None,
        **kwargs,
    ):
        """`scope` is what the caller's key must allow (lianxin.auth); None leaves the route
        open (health, the OpenAPI document). The method then gets `actor`. `form` is a body
        a browser's HTML form may send (form-encoded) as well as an app (JSON), read as
        `body`; it may be empty."""
        kwargs.setdefault("expected_exceptions", (Exception,))  # logged here, not by nameko
        self.errors = {**BASE_ERRORS, **(errors or {})}
        self.scope = scope
        self.summary = summary
        self.body = body
        self.form = form
        self.query = query
        self.responses = dict(responses or {200: None})
        self.headers = headers or []
        self.raises = raises
        self.documented = documented
        self.uses_database = uses_database  # then it may answer 503 while the database is away
        self._fitting_shapes: set[tuple[int, frozenset[str]]] = set()
        super().__init__(method, url, **kwargs)

    keyring = KeyRing()

    def setup(self) -> None:
        super().setup()
        quiet_expected_worker_errors()
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self.max_body_bytes = settings.max_body_bytes
        # built once: constructing a schema copies its fields, more work than a small load
        self._body_schema = self.body() if self.body is not None else None
        self._form_schema = self.form() if self.form is not None else None
        self._query_schema = self.query() if self.query is not None else None

    def check_signature(self, args, kwargs) -> None:
        """nameko's check, once per shape of arguments: whether they fit the method depends
        on their number and names only, and nameko's `inspect.getcallargs` on every request
        cost 2 % of cases' CPU under load."""
        shape = (len(args), frozenset(kwargs))
        if shape not in self._fitting_shapes:
            super().check_signature(args, kwargs)
            self._fitting_shapes.add(shape)

    def get_entrypoint_parameters(self, request):
        """Authenticate, then validate, before the worker starts: the method receives
        `actor`, `body` and `query` already checked against the declared scope and
        schemas, so documented and enforced cannot drift apart."""
        args, kwargs = super().get_entrypoint_parameters(request)
        if self.scope is not None:
            actor = self.keyring.authenticate(
                key_from_headers(request.headers), request.headers.get(PERSON_HEADER)
            )
            actor.require(self.scope)
            kwargs["actor"] = actor
        if self._body_schema is not None:
            kwargs["body"] = read_json(request, self._body_schema)
        if self._form_schema is not None:
            kwargs["body"] = read_form(request, self._form_schema)
        if self._query_schema is not None:
            kwargs["query"] = read_query(request, self._query_schema)
        return args, kwargs

    def handle_request(self, request):
        if (request.content_length or 0) > self.max_body_bytes:
            response = self.response_from_exception(
                BodyTooLarge(f"Body over {self.max_body_bytes} bytes.")
            )
        else:
            request.max_content_length = self.max_body_bytes
            response = super().handle_request(request)
        instrumentation.HTTP_REQUESTS.labels(request.method, self.url, response.status_code).inc()
        return response

    def response_from_result(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        headers = None
        if isinstance(result, tuple) and len(result) == 3:
            status, headers, body = result
        elif isinstance(result, tuple):
            status, body = result
        else:
            status, body = 200, result
        return json_response(status, body, headers)

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ConnectionFailure):
            log.warning(
                "%s %s: database unavailable (%s)", self.method, self.url, type(exc).__name__
            )
            exc = DatabaseUnavailable()
        for kind, (status, code) in self.errors.items():
            if isinstance(exc, kind):
                details = exc.details() if hasattr(exc, "details") else {}
                if isinstance(exc, ValidationError):
                    details = {"fields": exc.messages}
                log.info("%s %s → %d %s", self.method, self.url, status, code)
                return error_response(
                    status, code, _message(exc, status), _error_headers(status, code), **details
                )
        log.error("unhandled error on %s %s", self.method, self.url, exc_info=exc)
        return error_response(500, "internal_error", "Internal error; it has been logged.")


def _error_headers(status: int, code: str) -> dict[str, str] | None:
    if status == 503:
        return {"Retry-After": RETRY_AFTER_SECONDS.get(code, "1")}
    if status == 401:
        return {"WWW-Authenticate": 'ApiKey realm="lianxin", header="X-Api-Key"'}
    return None


def route(errors: ErrorTable) -> Callable[..., Any]:
    """The decorator for one service: its error table bound in."""
    return partial(JsonHttp.decorator, errors=errors)


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **details: Any
) -> Response:
    return json_response(status, {"error": {"code": code, "message": message, **details}}, headers)


# On every answer that carries what someone wrote: a browser must not take it for a page
NO_SNIFFING = {"X-Content-Type-Options": "nosniff"}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        headers={**NO_SNIFFING, **(headers or {})},
        mimetype="application/json",
    )


CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_ID = re.compile(r"^[\x21-\x7e]{1,100}$")  # what the event envelope accepts


def csv_response(text: str, name: str) -> Response:
    """A CSV download. UTF-8 with a byte-order mark: without it spreadsheet programs read
    the Chinese text as another encoding."""
    return Response(
        "\ufeff" + text,
        status=200,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def correlation_id(request) -> str | None:
    """The caller's correlation id, refused here (400) rather than by every consumer later."""
    value = request.headers.get(CORRELATION_HEADER)
    if value is not None and not CORRELATION_ID.match(value):
        raise ValidationError({CORRELATION_HEADER: ["Use 1–100 printable ASCII characters."]})
    return value


def read_json(request, schema: Schema) -> Any:
    """Parse and validate a JSON body; raises ValidationError (400) for anything off."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.get_data(cache=True)
    limit = getattr(request, "max_content_length", None)
    if limit and len(raw) > limit:
        raise BodyTooLarge(f"Body over {limit} bytes.")
    if not raw:
        raise ValidationError({"_body": ["A JSON body is required."]})
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError({"_body": [f"Not valid JSON: {exc}"]}) from None
    except RecursionError:  # deeper than the parser goes: deeper than anything we take
        raise ValidationError({"_body": [TOO_DEEP]}) from None
    return _load_checked(data, schema)


def _load_checked(data: Any, schema: Schema) -> Any:
    """A parsed body through the rules every body meets before its schema: no key that
    could reach MongoDB as an operator or path, no refused character in any text."""
    problems = forbidden_keys(data)
    if problems:
        raise ValidationError({"_body": problems})
    refused = refused_text(data)
    if refused:
        raise ValidationError(refused)
    return schema.load(data)


def read_query(request, schema: Schema) -> Any:
    """Validate the query string's parameters, by the same rule for text as a body's."""
    parameters = request.args.to_dict()
    refused = refused_text(parameters)
    if refused:
        raise ValidationError(refused)
    return schema.load(parameters)


MAX_DEPTH = 32  # lists and objects within each other; no body of ours needs a tenth of it
TOO_DEEP = f"Nested deeper than {MAX_DEPTH} levels."
# Refused in any text we take in: control characters (Unicode Cc) but tab, LF and CR, lone
# surrogates, U+FFFE and U+FFFF. XML 1.0 cannot carry most of them, terminals and logs act
# on them, and no resident types them.
REFUSED_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
REFUSED_TEXT = "No control characters: only tab, line feed and carriage return."


@dataclass(frozen=True)
class BodyValue:
    """A value within a parsed body: its path (keys and list indexes), the path as text
    (`location.address`, `tags[1]`), and its key when it is an object's member."""

    path: tuple[Any, ...]
    where: str
    is_member: bool
    value: Any


def _values(data: Any) -> Iterator[BodyValue]:
    """Every value within a parsed body, in document order. Without recursion, and no
    deeper than MAX_DEPTH (a 400 beyond): how deep a body goes is the sender's choice."""
    stack = [BodyValue((), "", False, data)]
    while stack:
        entry = stack.pop()
        if entry.path:
            yield entry
        value, path, where = entry.value, entry.path, entry.where
        if isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            raise ValidationError({"_body": [TOO_DEEP]})
        if isinstance(value, dict):
            children = [
                BodyValue((*path, key), f"{where}.{key}" if where else str(key), True, item)
                for key, item in value.items()
            ]
        elif isinstance(value, list):
            children = [
                BodyValue((*path, index), f"{where}[{index}]", False, item)
                for index, item in enumerate(value)
            ]
        else:
            continue
        stack.extend(reversed(children))


def forbidden_keys(data: Any) -> list[str]:
    """Keys that could reach MongoDB as operators or paths (`$`-prefixed, dotted) or that
    hold a refused character, each named by its path."""
    return [
        f"Key not allowed: {entry.where!r}"
        for entry in _values(data)
        if entry.is_member and not _allowed_key(entry.path[-1])
    ]


def _allowed_key(key: Any) -> bool:
    return (
        isinstance(key, str)
        and not key.startswith("$")
        and "." not in key
        and not REFUSED_CHARACTER.search(key)
    )


def refused_text(data: Any) -> dict[Any, Any]:
    """Field errors, shaped as marshmallow's, for every text that holds a refused character."""
    errors: dict[Any, Any] = {}
    for entry in _values(data):
        if isinstance(entry.value, str) and REFUSED_CHARACTER.search(entry.value):
            *within, name = entry.path
            node = errors
            for part in within:
                node = node.setdefault(part, {})
            node[name] = [REFUSED_TEXT]
    return errors


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def read_form(request, schema: Schema) -> Any:
    """A body from an HTML form (form-encoded) or an app (JSON), validated alike; an empty
    body is an empty form. Raises ValidationError (400) or UnsupportedMediaType (415)."""
    if not request.get_data(cache=True):
        return schema.load({})
    if request.mimetype in FORM_TYPES:
        return _load_checked(request.form.to_dict(), schema)
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        return read_json(request, schema)
    raise UnsupportedMediaType("Send the body form-encoded or as application/json.")


def _message(exc: BaseException, status: int) -> str:
    if isinstance(exc, ValidationError):
        return "The request has invalid fields."
    return str(exc) or f"HTTP {status}"


class RouteNotFound(Exception):
    pass


class CheckSchema(Schema):
    ok = fields.Boolean(required=True)
    seconds = fields.Float()
    error = fields.String(metadata={"description": "the kind of failure, never its text"})


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})
    service = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(CheckSchema))


class LiveSchema(Schema):
    status = fields.String(required=True)
    service = fields.String(required=True)


class HealthCheck:
    """Mixed into every service: a health probe, its OpenAPI document, and JSON (not HTML)
    for unknown paths."""

    name: str
    readiness = Readiness()

    @JsonHttp.decorator(
        "GET",
        "/healthz",
        summary="Readiness: 200 when the database and the broker answer, else 503",
        responses={200: HealthSchema, 503: HealthSchema},
        raises=(),
        uses_database=False,
    )
    def healthz(self, request):
        checks = self.readiness.checks()
        ready = all(check["ok"] for check in checks.values())
        body = {"status": "ok" if ready else "unavailable", "service": self.name, "checks": checks}
        return (200 if ready else 503), body

    @JsonHttp.decorator(
        "GET",
        "/livez",
        summary="Liveness: the process serves",
        responses={200: LiveSchema},
        raises=(),
    )
    def livez(self, request):
        return 200, {"status": "alive", "service": self.name}

    @JsonHttp.decorator(
        "GET", "/v1/openapi.json", summary="This OpenAPI document", raises=(), uses_database=False
    )
    def openapi_document(self, request):
        return 200, openapi.document(type(self), title=f"Lianxin {self.name} API")

    @JsonHttp.decorator(
        "GET,POST,PUT,PATCH,DELETE",
        "/<path:unknown>",
        errors={RouteNotFound: (404, "not_found")},
        documented=False,
    )
    def route_not_found(self, request, unknown):
        raise RouteNotFound(f"No route {request.method} /{unknown}.")
