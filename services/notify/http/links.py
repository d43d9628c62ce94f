"""Action links over HTTP: a GET shows the link's page (or JSON), the POST of that page
acts once through the cases service (app/action_links.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from werkzeug.wrappers import Response

from lianxin.clock import utc_now
from services.notify.app import action_links
from services.notify.domain.links import (
    CasesUnavailable,
    LinkExpired,
    LinkInvalid,
    LinkRefused,
    LinkRevoked,
    LinkUsed,
    NotPossible,
    Unconfirmed,
    WrongPerson,
)
from services.notify.http.errors import ERRORS, http
from services.notify.http.schemas import LinkConfirmSchema, LinkPreviewSchema, LinkResultSchema

log = logging.getLogger(__name__)

# How long a confirmed link waits for cases.perform_action; the call expires in the broker
# then too, so a cases service that was away does not act on it later.
ACTION_TIMEOUT_SECONDS = 5.0
TOKEN_LIMIT = 2000
SHOW_ERRORS = (LinkInvalid, LinkExpired, LinkRevoked, LinkUsed)
ACT_ERRORS = (*SHOW_ERRORS, Unconfirmed, WrongPerson, NotPossible, CasesUnavailable)
# A link's page and answers: no framing (a one-button page must not be clickjacked), no
# outside resource, the link's own URL never sent on as a Referer, nothing cached.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class LinksHttp:
    @http(
        "GET",
        "/v1/links/<string:token>",
        summary="Show an action link: the case and a confirm button (HTML or JSON by Accept); "
        "changes nothing",
        responses={200: LinkPreviewSchema},
        raises=SHOW_ERRORS,
    )
    def show_link(self, request, token):
        try:
            shown = action_links.preview(
                self.parts.store,
                self.parts.outbound,
                self.access_replica.person,
                token[:TOKEN_LIMIT],
                utc_now,
            )
        except LinkRefused as refused:
            return self._refused(request, refused)
        if wants_html(request):
            return page(self.parts.outbound.messages.page(shown, "confirm"), 200)
        return 200, SECURITY_HEADERS, LinkPreviewSchema().dump(shown)

    @http(
        "POST",
        "/v1/links/<string:token>",
        summary="Act on an action link, once: accept, decline or resolve; the body carries the "
        "confirmation its GET gave (the page's form sends it)",
        form=LinkConfirmSchema,
        responses={200: LinkResultSchema},
        raises=ACT_ERRORS,
    )
    def act_on_link(self, request, token, body):
        perform = cases_caller(self.cases, ACTION_TIMEOUT_SECONDS)
        try:
            if not same_origin(request, self.parts.outbound.links.origin):
                raise Unconfirmed("Confirm on the link's own page.")
            result = action_links.confirm(
                self.parts.store,
                self.parts.outbound,
                self.access_replica.person,
                token[:TOKEN_LIMIT],
                body["confirm"],
                perform,
                utc_now,
            )
        except LinkRefused as refused:
            return self._refused(request, refused)
        if wants_html(request):
            return page(self.parts.outbound.messages.page(result, "result"), 200)
        return 200, SECURITY_HEADERS, LinkResultSchema().dump(result)

    def _refused(self, request, refused: LinkRefused):
        """A refusal as the error table says (JSON), or as a page for a browser."""
        if not wants_html(request):
            raise refused
        status, code = next(entry for kind, entry in ERRORS.items() if isinstance(refused, kind))
        log.info("%s /v1/links/… → %d %s", request.method, status, code)  # the token is a key
        shown = {
            "ok": False,
            "reason": refused.reason,
            "state": refused.state,
            "links": getattr(refused, "follow_up", {}),
        }
        return page(self.parts.outbound.messages.page(shown, "result"), status)


def wants_html(request) -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def page(html: str, status: int) -> Response:
    return Response(html, status=status, mimetype="text/html", headers=SECURITY_HEADERS)


def same_origin(request, public_origin: str) -> bool:
    """Whether a POST came from a page of this service, as far as the browser tells:
    `Sec-Fetch-Site` (same-origin only) and `Origin` (this service's public origin or the
    address it was reached at) when sent. An app sends neither; the confirmation it got
    from the GET is then what binds the POST to the link."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin in (public_origin, request.host_url.rstrip("/"))


def cases_caller(rpc, timeout: float) -> Callable[..., Mapping[str, Any]]:
    """`cases.perform_action` with a deadline: a cases service that is away or slow makes
    the link answer 503 (open it again), never hang."""

    def perform(case_id: str, action: str, person_id: str, role: str, note: str):
        try:
            with eventlet.Timeout(timeout):
                return rpc.perform_action(case_id, action, person_id, role, note)
        except eventlet.Timeout:
            log.warning("cases.perform_action for %s timed out after %gs", case_id, timeout)
        except UnknownService:
            log.warning("cases.perform_action for %s: the cases service is not running", case_id)
        except RemoteError as exc:
            log.error("cases.perform_action for %s failed: %s", case_id, exc.exc_type)
        raise CasesUnavailable("The cases service did not answer; open the link again shortly.")

    return perform
