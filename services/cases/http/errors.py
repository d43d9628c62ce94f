"""The error → status table of the cases API, and the route decorator it is bound into:
a use case raises a domain error, the one entrypoint (lianxin.http.entrypoint) answers
with its status. Open311 answers with the spec's own table (http/open311_route.py)."""

from __future__ import annotations

from lianxin.http.entrypoint import route
from lianxin.http.errors import ErrorTable
from lianxin.store.lease import LeaseBusy
from services.cases.app import keys
from services.cases.app.intake import IdempotencyKeyReused
from services.cases.domain.appointments import NoDesk
from services.cases.domain.areas import UnknownArea
from services.cases.domain.case import (
    CaseNotFound,
    InvalidRequest,
    InvalidTransition,
    NotAssignee,
    NotPermitted,
    RequestKeyReused,
)
from services.cases.domain.clock_actions import ExtensionNotPending
from services.cases.domain.mediation import NoSessionHeld
from services.cases.domain.photos import PhotoNotAttachable, PhotoNotFound, PhotoRefused
from services.cases.domain.progress import AlreadyRated
from services.cases.domain.triage import UnknownCategory
from services.cases.store import BadCursor, KeyNotFound

ERRORS: ErrorTable = {
    UnknownArea: (400, "invalid_request"),
    UnknownCategory: (400, "invalid_request"),
    InvalidRequest: (400, "invalid_request"),
    BadCursor: (400, "invalid_request"),
    PhotoRefused: (400, "invalid_request"),
    PhotoNotAttachable: (400, "invalid_request"),
    PhotoNotFound: (404, "not_found"),
    NotAssignee: (403, "not_assignee"),
    NotPermitted: (403, "forbidden"),
    keys.UnknownPerson: (400, "invalid_request"),
    KeyNotFound: (404, "not_found"),
    CaseNotFound: (404, "not_found"),
    InvalidTransition: (409, "invalid_transition"),
    ExtensionNotPending: (409, "invalid_transition"),
    AlreadyRated: (409, "already_rated"),
    NoDesk: (409, "invalid_transition"),
    NoSessionHeld: (409, "invalid_transition"),
    IdempotencyKeyReused: (422, "idempotency_key_reused"),
    RequestKeyReused: (422, "idempotency_key_reused"),
}
http = route(ERRORS)

# What any action on a case may answer besides 200 (documented with each route)
ACTION_ERRORS = (NotAssignee, NotPermitted, CaseNotFound, InvalidTransition, LeaseBusy)
