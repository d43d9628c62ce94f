"""The HTTP entrypoint every route goes through: one pipeline, and the hooks of a variant.

For every request the pipeline
1. refuses a body over MAX_BODY_BYTES (413) before reading it;
2. authenticates the caller when the route has a `scope` (the key ring, lianxin.access);
   a `public` route also runs without a key, for the public (`actor` None), but a key
   that is sent must be valid;
3. reads and checks the input, so that bad input is a 400 with field errors and never
   reaches the store (lianxin.http.reading);
4. runs the worker and renders what it returns;
5. maps what was raised to a status by the route's error table (lianxin.http.errors) and
   logs it, once: INFO for an answered error, ERROR with the traceback for a fault, a
   WARNING for a database outage;
6. counts the request (lianxin_http_requests_total, by method, route and status).

HttpRoute is the JSON API's way: a JSON body, a form or a query read by the marshmallow
schemas the route declares, JSON answers, errors as `{"error": {...}}`, and an OpenAPI
operation built from the same declarations (lianxin.http.openapi). A variant overrides
the hooks (`credentials`, `arguments`, `render`, `render_failure`, `operation`,
`documented_path`) and keeps the rest: the cases service's Open311 routes are one.

Each service's http module declares its error table and decorates entrypoints with
`route(ERRORS)("POST", "/v1/...")`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from eventlet.event import Event
from marshmallow import Schema
from nameko.web.handlers import HttpRequestHandler
from pymongo.errors import ConnectionFailure
from werkzeug.wrappers import Request, Response

from lianxin import instrumentation
from lianxin.access.actors import Actor
from lianxin.access.keyring import KeyRing
from lianxin.access.keys import key_from_headers
from lianxin.access.tokens import PERSON_HEADER
from lianxin.bus.consumer import quiet_expected_worker_errors
from lianxin.config import Settings
from lianxin.http import openapi
from lianxin.http.errors import (
    BASE_ERRORS,
    INTERNAL_ERROR,
    BodyTooLarge,
    DatabaseUnavailable,
    ErrorTable,
    Failure,
    failure_of,
)
from lianxin.http.reading import read_form, read_json, read_query, read_upload
from lianxin.http.responses import error_response, json_response

log = logging.getLogger(__name__)


class HttpRoute(HttpRequestHandler):
    """One route. `body`, `form`, `query` and `responses` name the schemas it validates
    with and answers with, `raises` the errors of the table it can answer with (all when
    None); the OpenAPI document is built from them."""

    keyring = KeyRing()
    too_large = "Body over {limit} bytes."  # what a 413 says

    def __init__(
        self,
        method: str,
        url: str,
        errors: ErrorTable | None = None,
        *,
        summary: str = "",
        scope: str | tuple[str, ...] | None = None,
        public: bool = False,
        body: type[Schema] | None = None,
        form: type[Schema] | None = None,
        upload: type[Schema] | None = None,
        files: str = "file",
        max_body_bytes: int | None = None,
        query: type[Schema] | None = None,
        responses: Mapping[int, Any] | None = None,
        headers: list[dict[str, Any]] | None = None,
        raises: tuple[type[BaseException], ...] | None = None,
        documented: bool = True,
        uses_database: bool = True,
        **kwargs,
    ):
        """`scope` is what the caller's key must allow (lianxin.access.actors; a tuple: any
        one of them); None leaves
        the route open (health, the OpenAPI document). The method then gets `actor`, None
        for the public on a `public` route. `form` is a body a browser's HTML form may send
        (form-encoded) as well as an app (JSON), read as `body`; it may be empty. `upload`
        is a multipart body: its text fields read as `body` by that schema, the contents of
        the files sent as `files` given as `files`; such a route may allow a larger body
        (`max_body_bytes`) than the service's MAX_BODY_BYTES."""
        kwargs.setdefault("expected_exceptions", (Exception,))  # logged here, not by nameko
        self.errors = {**BASE_ERRORS, **(errors or {})}
        self.scope = scope
        self.public = public
        self.summary = summary
        self.body = body
        self.form = form
        self.upload = upload
        self.files = files
        self.route_max_body_bytes = max_body_bytes
        self.query = query
        self.responses = dict(responses or {200: None})
        self.headers = headers or []
        self.raises = raises
        self.documented = documented
        self.uses_database = uses_database  # then it may answer 503 while the database is away
        self._fitting_shapes: set[tuple[int, frozenset[str]]] = set()
        super().__init__(method, url, **kwargs)

    def setup(self) -> None:
        super().setup()
        quiet_expected_worker_errors()
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self.max_body_bytes = self.route_max_body_bytes or settings.max_body_bytes
        # built once: constructing a schema copies its fields, more work than a small load
        self._body_schema = self.body() if self.body is not None else None
        self._form_schema = self.form() if self.form is not None else None
        self._upload_schema = self.upload() if self.upload is not None else None
        self._query_schema = self.query() if self.query is not None else None

    def check_signature(self, args, kwargs) -> None:
        """nameko's check, once per shape of arguments: whether they fit the method depends
        on their number and names only, and nameko's `inspect.getcallargs` on every request
        cost 2 % of cases' CPU under load."""
        shape = (len(args), frozenset(kwargs))
        if shape not in self._fitting_shapes:
            super().check_signature(args, kwargs)
            self._fitting_shapes.add(shape)

    # -- the pipeline ----------------------------------------------------------------------

    def handle_request(self, request: Request) -> Response:
        request.shallow = False  # as nameko's own handler: the body may be read
        try:
            response = self._answer(self._run(request), request)
        except Exception as exc:
            response = self.render_failure(self.failure(exc), request)
        instrumentation.HTTP_REQUESTS.labels(request.method, self.url, response.status_code).inc()
        return response

    def _run(self, request: Request) -> Any:
        if (request.content_length or 0) > self.max_body_bytes:
            raise BodyTooLarge(self.too_large.format(limit=self.max_body_bytes))
        request.max_content_length = self.max_body_bytes
        context_data = self.server.context_data_from_headers(request)
        args, kwargs = self.get_entrypoint_parameters(request)
        self.check_signature(args, kwargs)
        event = Event()
        self.container.spawn_worker(
            self,
            args,
            kwargs,
            context_data=context_data,
            handle_result=partial(self.handle_result, event),
        )
        return event.wait()

    def get_entrypoint_parameters(self, request: Request) -> tuple[tuple, dict[str, Any]]:
        """Authenticate, then read the input, before the worker starts: the method receives
        `actor` and its input already checked against the declared scope and schemas, so
        documented and enforced cannot drift apart."""
        kwargs: dict[str, Any] = {}
        if self.scope is not None:
            kwargs["actor"] = self.authenticate(request)
        kwargs.update(self.arguments(request))
        return (request,), kwargs

    def authenticate(self, request: Request) -> Actor | None:
        """The one place a request's credentials are judged."""
        key, person_token = self.credentials(request)
        if key is None and self.public:
            return None
        actor = self.keyring.authenticate(key, person_token)
        actor.require(self.scope)
        return actor

    def _answer(self, result: Any, request: Request) -> Response:
        """A worker returns a Response, a body, `(status, body)` or `(status, headers, body)`."""
        if isinstance(result, Response):
            return result
        headers = None
        if isinstance(result, tuple) and len(result) == 3:
            status, headers, body = result
        elif isinstance(result, tuple):
            status, body = result
        else:
            status, body = 200, result
        return self.render(status, body, headers, request)

    def failure(self, exc: Exception) -> Failure:
        """What `exc` answers, by the route's error table; the one place it is logged."""
        if isinstance(exc, ConnectionFailure):
            log.warning(
                "%s %s: database unavailable (%s)", self.method, self.url, type(exc).__name__
            )
            exc = DatabaseUnavailable()
        found = failure_of(exc, self.errors)
        if found is None:
            log.error("unhandled error on %s %s", self.method, self.url, exc_info=exc)
            return INTERNAL_ERROR
        log.info("%s %s → %d %s", self.method, self.url, found.status, found.code)
        return found

    # -- the hooks of a variant --------------------------------------------------------------

    def credentials(self, request: Request) -> tuple[str | None, str | None]:
        """The key and the person token a request carries: `X-Api-Key` (or `Authorization:
        ApiKey`) and `X-Lianxin-Person`."""
        return key_from_headers(request.headers), request.headers.get(PERSON_HEADER)

    def arguments(self, request: Request) -> dict[str, Any]:
        """What the method receives besides `request` and `actor`: the path's values, and
        `body` and `query` read by the declared schemas."""
        found: dict[str, Any] = dict(request.path_values)
        if self._body_schema is not None:
            found["body"] = read_json(request, self._body_schema)
        if self._form_schema is not None:
            found["body"] = read_form(request, self._form_schema)
        if self._upload_schema is not None:
            found["body"], found["files"] = read_upload(request, self._upload_schema, self.files)
        if self._query_schema is not None:
            found["query"] = read_query(request, self._query_schema)
        return found

    def render(
        self, status: int, body: Any, headers: Mapping[str, str] | None, request: Request
    ) -> Response:
        return json_response(status, body, headers)

    def render_failure(self, failure: Failure, request: Request) -> Response:
        return error_response(
            failure.status, failure.code, failure.message, failure.headers, **failure.details
        )

    def documented_path(self) -> str:
        """The route's path as OpenAPI writes it: `/v1/cases/{case_id}`."""
        return openapi.path_of(self.url)

    def operation(self, path: str) -> dict[str, Any]:
        """The route's OpenAPI operation, from the schemas and errors it declares."""
        return openapi.json_operation(self, path)


def route(errors: ErrorTable) -> Callable[..., Any]:
    """The decorator for one service: its error table bound in."""
    return partial(HttpRoute.decorator, errors=errors)
