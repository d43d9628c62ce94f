"""Liveness and readiness: is the process up, and can it reach its database and broker.

`/livez` answers while the process serves HTTP at all (restart it if not);
`/healthz` answers 200 only when the database and the broker answer too (send it
traffic only then). The checks are cached for a moment, so a probe storm does not
become a load on either. The same mixin, HealthCheck, gives every service its
`/v1/openapi.json` and a JSON (not HTML) 404 for unknown paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NoReturn

import pymongo
from kombu import Connection
from marshmallow import Schema, fields
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from lianxin.http import openapi
from lianxin.http.entrypoint import HttpRoute
from lianxin.http.errors import RouteNotFound
from lianxin.store.database import ServiceDatabase

CHECK_TIMEOUT_SECONDS = 1.0
CACHE_SECONDS = 2.0


class Readiness(DependencyProvider):
    """Whether the process reaches its database (on its one client, within
    CHECK_TIMEOUT_SECONDS however long its own timeouts are) and its broker."""

    database = ServiceDatabase()

    def setup(self) -> None:
        self.database.open()
        self._checked_at = float("-inf")
        self._checks: dict[str, dict[str, Any]] = {}

    def get_dependency(self, worker_ctx) -> Readiness:
        return self

    def checks(self) -> dict[str, dict[str, Any]]:
        now = time.monotonic()
        if now - self._checked_at > CACHE_SECONDS:
            self._checks = {"database": self._database(), "broker": self._broker()}
            self._checked_at = now
        return self._checks

    def _database(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            with pymongo.timeout(CHECK_TIMEOUT_SECONDS):
                self.database.client.admin.command("ping")
        except Exception as exc:
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": True, "seconds": round(time.perf_counter() - started, 4)}

    def _broker(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            with Connection(
                self.database.settings.amqp_uri, connect_timeout=CHECK_TIMEOUT_SECONDS
            ) as conn:
                conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        except Exception as exc:
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": True, "seconds": round(time.perf_counter() - started, 4)}


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


UNKNOWN_METHODS = "GET,POST,PUT,PATCH,DELETE"


def unknown_route(url: str) -> Callable[..., Any]:
    """The route of whatever no other route of the service matches under `url` (werkzeug
    tries the more specific rules first): a JSON 404, what an API client expects. The
    console answers its own unknown paths as pages and keeps this for `/v1/...`."""
    return HttpRoute.decorator(
        UNKNOWN_METHODS, url, errors={RouteNotFound: (404, "not_found")}, documented=False
    )


def refuse_unknown(request: Request) -> NoReturn:
    raise RouteNotFound(f"No route {request.method} {request.path}.")


class HealthCheck:
    """Mixed into every service: a health probe, its OpenAPI document, and JSON (not HTML)
    for unknown paths."""

    name: str
    readiness = Readiness()

    @HttpRoute.decorator(
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

    @HttpRoute.decorator(
        "GET",
        "/livez",
        summary="Liveness: the process serves",
        responses={200: LiveSchema},
        raises=(),
    )
    def livez(self, request):
        return 200, {"status": "alive", "service": self.name}

    @HttpRoute.decorator(
        "GET", "/v1/openapi.json", summary="This OpenAPI document", raises=(), uses_database=False
    )
    def openapi_document(self, request):
        return 200, openapi.document(type(self), title=f"Lianxin {self.name} API")

    @unknown_route("/<path:unknown>")
    def route_not_found(self, request, unknown):
        refuse_unknown(request)
