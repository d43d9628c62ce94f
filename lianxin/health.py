"""Liveness and readiness: is the process up, and can it reach its database and broker.

`/livez` answers while the process serves HTTP at all (restart it if not);
`/healthz` answers 200 only when the database and the broker answer too (send it
traffic only then). The checks are cached for a moment, so a probe storm does not
become a load on either.
"""

from __future__ import annotations

import time
from typing import Any

from kombu import Connection
from nameko.extensions import DependencyProvider
from pymongo import MongoClient

from lianxin.config import Settings

CHECK_TIMEOUT_SECONDS = 1.0
CACHE_SECONDS = 2.0


class Readiness(DependencyProvider):
    def setup(self) -> None:
        self._settings = Settings.from_config(self.container.service_name, self.container.config)
        timeout_ms = int(CHECK_TIMEOUT_SECONDS * 1000)
        self._client = MongoClient(
            self._settings.mongo_uri,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            connect=False,
        )
        self._checked_at = float("-inf")
        self._checks: dict[str, dict[str, Any]] = {}

    def stop(self) -> None:
        self._client.close()

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
            self._client.admin.command("ping")
        except Exception as exc:
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": True, "seconds": round(time.perf_counter() - started, 4)}

    def _broker(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            with Connection(self._settings.amqp_uri, connect_timeout=CHECK_TIMEOUT_SECONDS) as conn:
                conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        except Exception as exc:
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": True, "seconds": round(time.perf_counter() - started, 4)}
