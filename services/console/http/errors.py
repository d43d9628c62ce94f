"""The console's error table: what each refusal answers, as a page.

The statuses are the APIs' own: another community's case is 404, a form without its CSRF
token 403, an action that does not fit the case's state 409 (the page names the state).
An answer of another service's keeps its status (ApiError, `None` below).
"""

from __future__ import annotations

from services.console.apis import ApiError, ApiUnavailable
from services.console.domain.imports import NothingToApply, StaffOnly
from services.console.domain.queue import NotVisible


class SignInRequired(Exception):
    """No session, or it ended: the browser is sent to the sign-in page."""


class CsrfRefused(Exception):
    """A form without its session's (or the sign-in cookie's) CSRF token."""


class NotForRole(Exception):
    """A signed-in person on a page their role does not use (a volunteer on the board)."""


class PageNotFound(Exception):
    pass


ERRORS = {
    SignInRequired: (401, "sign_in_required"),
    CsrfRefused: (403, "csrf"),
    NotVisible: (404, "not_found"),
    PageNotFound: (404, "not_found"),
    StaffOnly: (403, "staff_only"),
    NotForRole: (403, "not_for_role"),
    NothingToApply: (409, "nothing_to_apply"),
    ApiUnavailable: (503, "unavailable"),
    ApiError: (None, "refused"),
}
