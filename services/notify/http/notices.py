"""Notices: staff send one to an area and read its counts; the console's public page
shows a notice by its SMS's reading link and records the read (app/notices.py)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError

from lianxin.access.actors import Forbidden
from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.notify.app import notices
from services.notify.domain.notices import (
    Notice,
    NoticeKeyReused,
    NoticeNotFound,
    OutsideOwnGrids,
    UnknownAudience,
)
from services.notify.http.errors import http
from services.notify.http.notice_schemas import (
    IDEMPOTENCY_HEADERS,
    AudienceQuery,
    NoticeBody,
    NoticeListQuery,
    NoticeListSchema,
    NoticeSchema,
    PreviewSchema,
    ReceiptSchema,
)

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
RECEIPT = "/v1/notice-receipts/<string:token>"


def idempotency_key(request) -> str:
    """A notice names its request, so that a retry after a lost answer sends nothing twice."""
    value = request.headers.get("Idempotency-Key")
    if value is None or not IDEMPOTENCY_KEY.match(value):
        raise ValidationError({"Idempotency-Key": ["Send 1–100 printable ASCII characters."]})
    return value


def audience_error(refused: UnknownAudience) -> ValidationError:
    return ValidationError({"code": [str(refused)]})


class NoticesHttp:
    @http(
        "GET",
        "/v1/notices/audience",
        summary="Whom a notice to an area would reach, per channel, before it is sent "
        "(staff; a grid worker or leader: their own grids)",
        query=AudienceQuery,
        responses={200: PreviewSchema},
        raises=(NoticeNotFound, OutsideOwnGrids, Forbidden),
        scope="read",
    )
    def notice_audience(self, request, actor, query):
        try:
            found = notices.preview(
                self.parts.store, self.parts.outbound, actor, query["community_id"],
                query["audience"], query["code"],
            )  # fmt: skip
        except UnknownAudience as refused:
            raise audience_error(refused) from None
        return 200, PreviewSchema().dump(found)

    @http(
        "POST",
        "/v1/notices",
        summary="Send a notice to a community, grid, building or unit: the unit leaders' "
        "groups and SMS to the people known there; answers at once, the fan-out follows",
        body=NoticeBody,
        headers=IDEMPOTENCY_HEADERS,
        responses={201: NoticeSchema},
        raises=(NoticeNotFound, OutsideOwnGrids, NoticeKeyReused, Forbidden, LeaseBusy),
        scope="act",
    )
    def send_notice(self, request, actor, body):
        key = idempotency_key(request)
        try:
            sent = notices.send(self.parts.store, self.parts.outbound, actor, body, key, utc_now())
        except UnknownAudience as refused:
            raise audience_error(refused) from None
        return 201, NoticeSchema().dump(view(sent))

    @http(
        "GET",
        "/v1/notices",
        summary="A community's notices, newest first, with their counts per channel",
        query=NoticeListQuery,
        responses={200: NoticeListSchema},
        raises=(),
        scope="read",
    )
    def list_notices(self, request, actor, query):
        found, next_before = notices.listing(
            self.parts.store, actor, query["community_id"], query.get("before"), query["limit"]
        )
        return 200, NoticeListSchema().dump({
            "community_id": query["community_id"],
            "notices": [view(notice, counts) for notice, counts in found],
            "next_before": next_before,
        })  # fmt: skip

    @http(
        "GET",
        "/v1/notices/<string:notice_id>",
        summary="A notice: per channel the deliveries made, sent, failed and read (a "
        "group's reads are unknown: null), and who read it (masked)",
        responses={200: NoticeSchema},
        raises=(NoticeNotFound,),
        scope="read",
    )
    def get_notice(self, request, actor, notice_id):
        notice, counts, readers = notices.shown(self.parts.store, actor, notice_id)
        return 200, NoticeSchema().dump(view(notice, counts, readers))

    @http(
        "GET",
        RECEIPT,
        summary="The notice a reading link names, and whether it was read; counts nothing "
        "(the console's public page; a link scanner's GET)",
        responses={200: ReceiptSchema},
        raises=(NoticeNotFound,),
        scope="read",
    )
    def notice_receipt(self, request, actor, token):
        shown = notices.receipt(self.parts.store, self.parts.outbound, actor, token, utc_now())
        return 200, ReceiptSchema().dump(shown)

    @http(
        "POST",
        RECEIPT,
        summary="The recipient read the notice: recorded once (a replay answers the first read)",
        responses={200: ReceiptSchema},
        raises=(NoticeNotFound, LeaseBusy),
        scope="act",
    )
    def read_notice(self, request, actor, token):
        shown = notices.read(self.parts.store, self.parts.outbound, actor, token, utc_now())
        return 200, ReceiptSchema().dump(shown)


def view(
    notice: Notice, counts: dict | None = None, readers: list[dict] | None = None
) -> dict[str, Any]:
    audience = notice.audience
    shown: dict[str, Any] = {
        "id": notice.id,
        "community_id": notice.community_id,
        "audience": {
            "kind": audience.kind, "code": audience.code, "name": audience.name,
            "grid_id": audience.grid_id,
        },
        "title": notice.title,
        "body": notice.body,
        "urgent": notice.urgent,
        "channels": list(notice.channels),
        "author_name": notice.author_name,
        "sent_at": notice.sent_at,
        "planned": dict(notice.planned),
    }  # fmt: skip
    if counts is not None:
        shown["counts"] = counts
    if readers is not None:
        shown["readers"] = readers
    return shown
