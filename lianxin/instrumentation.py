"""Prometheus metrics every service exposes on its own port.

The metric objects live in the default registry of the process; each
service runs as its own process, and the scrape job names the service.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import REGISTRY

log = logging.getLogger(__name__)

HANDLER_SECONDS = Histogram(
    "lianxin_handler_duration_seconds",
    "Time a worker took, by entrypoint.",
    ["entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_HANDLED = Counter(
    "lianxin_events_handled_total", "Events handled, by type and outcome.", ["event", "outcome"]
)
EVENTS_RETRIED = Counter(
    "lianxin_events_retried_total", "Failed events scheduled for another attempt.", ["queue"]
)
EVENTS_DEFERRED = Counter(
    "lianxin_events_deferred_total",
    "Handler runs put off because the database or broker was away, or the aggregate busy.",
    ["queue", "reason"],
)
EVENTS_DEAD_LETTERED = Counter(
    "lianxin_events_dead_lettered_total", "Events parked in a dead-letter queue.", ["queue"]
)
EVENTS_REFUSED = Counter(
    "lianxin_events_refused_total",
    "Control events parked unhandled: their source service's broker user did not publish them.",
    ["queue"],
)
EVENTS_PUBLISHED = Counter("lianxin_events_published_total", "Events published from outboxes.")
OUTBOX_PUBLISH_FAILURES = Counter(
    "lianxin_outbox_publish_failures_total",
    "Outbox flushes that failed and were left to the sweeper.",
)
OUTBOX_BACKLOG = Gauge(
    "lianxin_outbox_backlog",
    "Aggregates whose events may be unpublished (leases left behind), as of the last sweep. "
    "Every replica of a service sees the same store: read it with max(), not sum().",
    ["collection"],
)
HTTP_REQUESTS = Counter(
    "lianxin_http_requests_total",
    "HTTP requests, by route and status.",
    ["method", "route", "status"],
)


def register_collector(collector: Any) -> None:
    """Register once per process; a restarted container in the same process reuses it."""
    with contextlib.suppress(ValueError):
        REGISTRY.register(collector)


class Instrumentation(DependencyProvider):
    """Starts the /metrics endpoint and times every worker of the service."""

    def setup(self) -> None:
        address = str(self.container.config.get("METRICS_ADDRESS") or "")
        if address:
            host, _, port = address.rpartition(":")
            start_http_server(int(port), addr=host or "0.0.0.0")

    def worker_setup(self, worker_ctx) -> None:
        worker_ctx.data["lianxin.started"] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        entrypoint = worker_ctx.entrypoint
        started = worker_ctx.data.get("lianxin.started", time.perf_counter())
        kind = type(entrypoint).__name__
        HANDLER_SECONDS.labels(entrypoint.method_name, kind).observe(time.perf_counter() - started)
        event_type = getattr(entrypoint, "event_type", None)
        if event_type:
            EVENTS_HANDLED.labels(event_type, "failed" if exc_info else "ok").inc()
