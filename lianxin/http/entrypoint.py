"""JSON HTTP entrypoints: bad input gets a 4xx with field errors and never reaches the store.

Each service's http.py declares its error table (lianxin.http.errors) and decorates
entrypoints with `route(ERRORS)("POST", "/v1/...")`. A route authenticates the caller,
reads its input by the schemas it declares (lianxin.http.reading), and maps what the
worker raises to a status by the table; lianxin.http.openapi documents it from the
same declarations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from marshmallow import Schema, ValidationError
from nameko.web.handlers import HttpRequestHandler
from pymongo.errors import ConnectionFailure
from werkzeug.wrappers import Response

from lianxin import instrumentation
from lianxin.access.keyring import KeyRing
from lianxin.access.keys import key_from_headers
from lianxin.access.tokens import PERSON_HEADER
from lianxin.bus.consumer import quiet_expected_worker_errors
from lianxin.config import Settings
from lianxin.http.errors import (
    BASE_ERRORS,
    BodyTooLarge,
    DatabaseUnavailable,
    ErrorTable,
    error_headers,
    message,
)
from lianxin.http.reading import read_form, read_json, read_query
from lianxin.http.responses import error_response, json_response

log = logging.getLogger(__name__)


class JsonHttp(HttpRequestHandler):
    """A JSON route. `body`, `query` and `responses` name the schemas it validates with and
    answers with, `raises` the errors of the table it can answer with (all when None);
    lianxin.http.openapi builds the service's OpenAPI document from them."""

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
        """`scope` is what the caller's key must allow (lianxin.access.actors); None leaves
        the route open (health, the OpenAPI document). The method then gets `actor`. `form`
        is a body a browser's HTML form may send (form-encoded) as well as an app (JSON),
        read as `body`; it may be empty."""
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
                    status, code, message(exc, status), error_headers(status, code), **details
                )
        log.error("unhandled error on %s %s", self.method, self.url, exc_info=exc)
        return error_response(500, "internal_error", "Internal error; it has been logged.")


def route(errors: ErrorTable) -> Callable[..., Any]:
    """The decorator for one service: its error table bound in."""
    return partial(JsonHttp.decorator, errors=errors)
