"""The error table: which exception answers which status, and what a client is told.

Each service's http module declares its own table, e.g.
`{CaseNotFound: (404, "not_found"), InvalidTransition: (409, "invalid_transition")}`,
merged over BASE_ERRORS, the errors every route may answer with. An error may carry a
`details()` dict that is merged into the response (a 409 names the current state).
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import ValidationError

from lianxin.access.actors import Forbidden, Unauthenticated
from lianxin.store.aggregates import LeaseExpired, LeaseLost
from lianxin.store.lease import LeaseBusy

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


def error_headers(status: int, code: str) -> dict[str, str] | None:
    if status == 503:
        return {"Retry-After": RETRY_AFTER_SECONDS.get(code, "1")}
    if status == 401:
        return {"WWW-Authenticate": 'ApiKey realm="lianxin", header="X-Api-Key"'}
    return None


def message(exc: BaseException, status: int) -> str:
    if isinstance(exc, ValidationError):
        return "The request has invalid fields."
    return str(exc) or f"HTTP {status}"


class RouteNotFound(Exception):
    pass
