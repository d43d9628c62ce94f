"""The bare nameko chain: the pipeline's hops with nothing but the framework.

The pipeline's path from report to `case.dispatched` (counted in the code):

  HTTP   POST /v1/cases                  → cases.create_case (services/cases/http/cases.py)
  hop 1  case.triaged on cases.events     → roster.on_case_triaged (services/roster/service.py)
  hop 2  offer.made on roster.events      → cases.on_offer_made (services/cases/service.py)
  hop 3  case.dispatched on cases.events  → the bench's probe; notify, which posts the webhook

(`case.reported`, published beside `case.triaged`, only feeds metrics: not on the path.)

The bare chain makes the same trip between two nameko services, each its own
process: an HTTP entrypoint that dispatches `item.triaged` (hop 1) to a second
service, which dispatches `item.offered` (hop 2) back to the first, which
dispatches `item.dispatched` (hop 3) to the bench's probe. Events carry the
report as their payload, so messages are of the same size. Plain nameko: its
`EventDispatcher` (publisher confirms, persistent messages) and `event_handler`
(its own durable queues), `max_workers` as the services have, no database, no
lease, no outbox, no validation.

This module is what the bare services' `nameko run` imports: keep it to nameko.
"""

from __future__ import annotations

import json

from nameko.events import EventDispatcher, event_handler
from nameko.web.handlers import http

INTAKE = "bare_intake"
ROSTER = "bare_roster"
HOPS = [
    ("HTTP", "POST /v1/items", f"{INTAKE}.create"),
    ("hop 1", f"item.triaged on {INTAKE}.events", f"{ROSTER}.on_triaged"),
    ("hop 2", f"item.offered on {ROSTER}.events", f"{INTAKE}.on_offered"),
    ("hop 3", f"item.dispatched on {INTAKE}.events", "bench probe"),
]
PIPELINE_HOPS = [
    ("HTTP", "POST /v1/cases", "cases.create_case"),
    ("hop 1", "case.triaged on cases.events", "roster.on_case_triaged"),
    ("hop 2", "offer.made on roster.events", "cases.on_offer_made"),
    ("hop 3", "case.dispatched on cases.events", "bench probe (notify: webhook)"),
]


class BareIntake:
    name = INTAKE
    dispatch = EventDispatcher()

    @http("POST", "/v1/items")
    def create(self, request):
        report = json.loads(request.get_data())
        item_id = request.headers.get("Idempotency-Key")
        self.dispatch("item.triaged", {"item_id": item_id, "report": report})
        return 201, json.dumps({"id": item_id, "state": "triaged"})

    @http("GET", "/healthz")
    def healthz(self, request):
        return 200, "ok"

    @event_handler(ROSTER, "item.offered")
    def on_offered(self, payload):
        self.dispatch("item.dispatched", payload)


class BareRoster:
    name = ROSTER
    dispatch = EventDispatcher()

    @event_handler(INTAKE, "item.triaged")
    def on_triaged(self, payload):
        self.dispatch("item.offered", {**payload, "person_id": "p-bare-1"})


# nameko's queue names for these two handlers (service-pool handlers)
QUEUES = [
    f"evt-{INTAKE}-item.triaged--{ROSTER}.on_triaged",
    f"evt-{ROSTER}-item.offered--{INTAKE}.on_offered",
]
