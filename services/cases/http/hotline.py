"""The 12345 hotline's work-order API: a work order opens a case (a resend finds the
same one), and the community returns the order (退单) or asks the hotline for more
time (延期) by the order's own number. What the hotline must hear back travels as
`hotline.reply` events, which notify delivers to the hotline's callback, signed.
"""

from __future__ import annotations

from lianxin.clock import utc_now
from lianxin.http.reading import correlation_id
from lianxin.store.lease import LeaseBusy
from services.cases.app import actions
from services.cases.app.intake import (
    HotlineNotBound,
    IdempotencyKeyReused,
    bound_hotline,
    hotline_case_id,
)
from services.cases.domain.areas import UnknownArea
from services.cases.domain.case import CaseNotFound, InvalidRequest
from services.cases.domain.intake import Report
from services.cases.http.actions import (
    CaseAction,
    Where,
    entrypoint,
    reject,
    request_extension,
)
from services.cases.http.cases import CORRELATION_HEADER, shown
from services.cases.http.errors import http
from services.cases.http.schemas import (
    CaseSchema,
    HotlineExtensionSchema,
    HotlineOrderSchema,
    ReasonSchema,
)

ORDER = "/v1/hotline/orders/<string:hotline_id>/<string:order_no>"


# The actions on a case by its work order's number: a case of a community the key does
# not cover is not found (404), as by its id
ON_ORDER = Where(
    ORDER, "hotline", lambda path: hotline_case_id(path["hotline_id"], path["order_no"])
)


class HotlineHttp:
    @http(
        "POST",
        "/v1/hotline/orders",
        summary="Open a case from a 12345 work order, with a key bound to that hotline; a "
        "resend returns the same case (200)",
        body=HotlineOrderSchema,
        responses={201: CaseSchema, 200: CaseSchema},
        headers=[CORRELATION_HEADER],
        raises=(UnknownArea, IdempotencyKeyReused, HotlineNotBound, LeaseBusy),
        scope="report",
    )
    def create_order(self, request, actor, body):
        hotline_id = bound_hotline(actor, body.get("hotline_id"))
        caller = body.get("caller") or {}
        received = Report(
            community_id=body["community_id"],
            description=body["description"],
            channel="hotline",
            location=body["location"],
            reporter=caller,
            category_hint=body.get("category_text", ""),
            attachments=tuple(body["attachments"]),
            hotline={
                "hotline_id": hotline_id,
                "order_no": body["order_no"],
                "deadline": body.get("deadline"),
                "category_text": body.get("category_text"),
            },
        )
        case, created = self.parts.intake.hotline_order(
            received,
            actions.by_actor(actor, "hotline"),
            actor.sees,
            correlation_id(request),
            utc_now(),
        )
        headers = {"Location": f"/v1/cases/{case.id}"}
        return (201 if created else 200), headers, shown(case, actor)

    @http(
        "GET",
        ORDER,
        summary="The case a work order opened",
        responses={200: CaseSchema},
        raises=(CaseNotFound,),
        scope="read",
    )
    def get_order(self, request, actor, hotline_id, order_no):
        case_id = hotline_case_id(hotline_id, order_no)
        return 200, shown(actions.get(self.parts.store, case_id, actor.sees), actor)

    return_order = entrypoint(
        CaseAction(
            "return_order",
            "return",
            "Return the work order to the hotline (退单), with the reason",
            ReasonSchema,
            reject,
            where=ON_ORDER,
        )
    )
    extend_order = entrypoint(
        CaseAction(
            "extend_order",
            "extension",
            "Ask the hotline for more time (延期); staff decide on the case",
            HotlineExtensionSchema,
            request_extension,
            raises=(InvalidRequest,),
            where=ON_ORDER,
        )
    )
