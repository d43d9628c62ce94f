"""The error table: which exception answers which status, and what a client is told.

Each service's http module declares its own table, e.g.
`{CaseNotFound: (404, "not_found"), InvalidTransition: (409, "invalid_transition")}`,
merged over BASE_ERRORS, the errors every route may answer with; the first kind an error
is an instance of decides. An error may carry a `details()` dict that is merged into a
JSON error (a 409 names the current state); a table entry whose status is None answers
with the error's own `status` (a protocol's one error class for several statuses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from lianxin.access.actors import Forbidden, Unauthenticated
from lianxin.store.aggregates import LeaseExpired, LeaseLost
from lianxin.store.lease import LeaseBusy

ErrorTable = Mapping[type[BaseException], tuple[int | None, str]]


class BodyTooLarge(Exception):
    pass


class UnsupportedMediaType(Exception):
    pass


class RouteNotFound(Exception):
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


@dataclass(frozen=True)
class Failure:
    """What an error answers: its status and code, the message a client is told (never a
    driver's or a key's text), the details a JSON error carries (`fields` for a 400, the
    current `state` for a 409) and the headers (Retry-After, WWW-Authenticate)."""

    status: int
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


INTERNAL_ERROR = Failure(500, "internal_error", "Internal error; it has been logged.")


def failure_of(error: BaseException, table: ErrorTable) -> Failure | None:
    """What `error` answers by `table`; None for an error the table does not name (a fault)."""
    for kind, (status, code) in table.items():
        if isinstance(error, kind):
            status = status if status is not None else int(error.status)
            if isinstance(error, ValidationError):
                details = {"fields": error.messages}
            else:
                details = error.details() if hasattr(error, "details") else {}
            return Failure(status, code, _message(error, status), details, _headers(status, code))
    return None


def _headers(status: int, code: str) -> dict[str, str]:
    if status == 503:
        return {"Retry-After": RETRY_AFTER_SECONDS.get(code, "1")}
    if status == 401:
        return {"WWW-Authenticate": 'ApiKey realm="lianxin", header="X-Api-Key"'}
    return {}


def _message(error: BaseException, status: int) -> str:
    if isinstance(error, ValidationError):
        return "The request has invalid fields."
    return str(error) or f"HTTP {status}"
