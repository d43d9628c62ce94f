"""HTTP entrypoints of the notify service and its error → status table."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from werkzeug.wrappers import Response

from lianxin.clock import utc_now
from lianxin.http.entrypoint import route
from lianxin.store.lease import LeaseBusy
from services.notify import actions, alerting, handlers, sign_in_codes
from services.notify.domain import Delivery, show_address
from services.notify.links import (
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
from services.notify.schemas import (
    AlertmanagerWebhook,
    AlertsAcceptedSchema,
    CaseDeliveriesQuery,
    DeadQuery,
    DeliveryListSchema,
    DeliverySchema,
    LinkConfirmSchema,
    LinkPreviewSchema,
    LinkResultSchema,
    SignInCodeSchema,
)

log = logging.getLogger(__name__)

ERRORS = {
    handlers.DeliveryNotFound: (404, "not_found"),
    handlers.NotDead: (409, "not_dead"),
    LinkInvalid: (404, "link_invalid"),
    LinkExpired: (410, "link_expired"),
    LinkRevoked: (403, "link_revoked"),
    Unconfirmed: (403, "link_unconfirmed"),
    LinkUsed: (409, "link_used"),
    WrongPerson: (403, "wrong_person"),
    NotPossible: (409, "not_possible"),
    CasesUnavailable: (503, "cases_unavailable"),
    sign_in_codes.NoSmsNumber: (404, "not_found"),
}
http = route(ERRORS)
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


class NotifyHttp:
    @http(
        "GET",
        "/v1/deliveries/<string:delivery_id>",
        summary="A delivery: its status, attempts and last error (secrets redacted)",
        responses={200: DeliverySchema},
        raises=(handlers.DeliveryNotFound,),
        scope="read",
    )
    def get_delivery(self, request, actor, delivery_id):
        return 200, DeliverySchema().dump(
            view(handlers.get_delivery(self.store, actor, delivery_id))
        )

    @http(
        "GET",
        "/v1/deliveries",
        summary="What was sent about one case, oldest first",
        query=CaseDeliveriesQuery,
        responses={200: DeliveryListSchema},
        raises=(),
        scope="read",
    )
    def case_deliveries(self, request, actor, query):
        found = handlers.of_case(self.store, actor, query["case_id"])
        return 200, DeliveryListSchema().dump({"count": len(found), "deliveries": map(view, found)})

    @http(
        "GET",
        "/v1/deliveries/dead",
        summary="Dead deliveries (every attempt on every channel failed), newest first",
        query=DeadQuery,
        responses={200: DeliveryListSchema},
        raises=(),
        scope="admin",
    )
    def dead_deliveries(self, request, actor, query):
        count, found = handlers.dead(self.store, actor, query.get("community_id"), query["limit"])
        return 200, DeliveryListSchema().dump({"count": count, "deliveries": map(view, found)})

    @http(
        "POST",
        "/v1/deliveries/<string:delivery_id>/retry",
        summary="Send a dead delivery again, once its cause is fixed",
        responses={200: DeliverySchema},
        raises=(handlers.DeliveryNotFound, handlers.NotDead, LeaseBusy),
        scope="admin",
    )
    def retry_delivery(self, request, actor, delivery_id):
        revived = handlers.send_again(self.store, actor, delivery_id, utc_now())
        return 200, DeliverySchema().dump(view(revived))

    @http(
        "POST",
        "/v1/alertmanager",
        summary="Alertmanager's webhook: each alert to its community's staff, by its labels",
        body=AlertmanagerWebhook,
        responses={200: AlertsAcceptedSchema},
        raises=(LeaseBusy,),
        scope="alerts",  # Alertmanager's own key: a report key cannot page the staff
    )
    def alertmanager(self, request, actor, body):
        outcome = alerting.receive_alerts(self.store, self.outbound, actor, body, utc_now)
        return 200, AlertsAcceptedSchema().dump(outcome)

    @http(
        "POST",
        "/v1/sign-in-codes",
        summary="Send a person their console sign-in code by SMS, once; the delivery keeps "
        "the code masked (the console's key only)",
        body=SignInCodeSchema,
        responses={202: DeliverySchema},
        raises=(sign_in_codes.NoSmsNumber, LeaseBusy),
        scope="sign_in",
    )
    def send_sign_in_code(self, request, actor, body):
        sent = sign_in_codes.send_code(
            self.store, self.outbound, body["person_id"], body["code"], utc_now()
        )
        return 202, DeliverySchema().dump(view(sent))

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
            shown = actions.preview(
                self.store,
                self.outbound,
                self.access_replica.person,
                token[:TOKEN_LIMIT],
                utc_now,
            )
        except LinkRefused as refused:
            return self._refused(request, refused)
        if wants_html(request):
            return page(self.outbound.messages.page(shown, "confirm"), 200)
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
            if not same_origin(request, self.outbound.links.origin):
                raise Unconfirmed("Confirm on the link's own page.")
            result = actions.confirm(
                self.store,
                self.outbound,
                self.access_replica.person,
                token[:TOKEN_LIMIT],
                body["confirm"],
                perform,
                utc_now,
            )
        except LinkRefused as refused:
            return self._refused(request, refused)
        if wants_html(request):
            return page(self.outbound.messages.page(result, "result"), 200)
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
        return page(self.outbound.messages.page(shown, "result"), status)


def view(delivery: Delivery) -> dict[str, Any]:
    """What the API shows of a delivery: the address masked, URL queries cut."""
    return {
        "id": delivery.id,
        "kind": delivery.kind,
        "case_id": delivery.case_id,
        "community_id": delivery.community_id,
        "category": delivery.category,
        "recipient": {
            "kind": delivery.recipient.kind,
            "id": delivery.recipient.key,
            "name": delivery.recipient.name,
        },
        "channel": delivery.contact.channel,
        "address": show_address(delivery.contact.channel, delivery.contact.address),
        "state": delivery.state,
        "urgent": delivery.urgent,
        "subject": (delivery.message or {}).get("subject", ""),
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "provider_response": delivery.provider_response,
        "history": [
            {"at": attempt.at, "ok": attempt.ok, "error": attempt.error}
            for attempt in delivery.history
        ],
        "next_channels": [contact.channel for contact in delivery.fallbacks],
        "next_attempt_at": delivery.next_attempt_at if delivery.open else None,
        "created_at": delivery.created_at,
        "sent_at": delivery.sent_at,
        "dead_at": delivery.dead_at,
        "bundled_into": delivery.bundled_into,
    }


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
