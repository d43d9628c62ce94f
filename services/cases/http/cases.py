"""The JSON API of a case: intake, reading and listing, the taxonomy and the areas; and
what every route of a case shares (its headers, how it shows a case, how it runs an
action; the error table is http/errors.py).

Every route names the scope its key needs. Who acts comes from the key or the
person token (never the body); a case of a community the key does not cover is
not found (404), whatever it is.
"""

from __future__ import annotations

import re

from marshmallow import ValidationError

from lianxin.clock import utc_now
from lianxin.http.reading import correlation_id
from lianxin.store.lease import LeaseBusy
from services.cases.app import actions, photos
from services.cases.app.actions import Decide
from services.cases.app.intake import ChannelNotAllowed, IdempotencyKeyReused, require_channel
from services.cases.domain.areas import UnknownArea
from services.cases.domain.areas import listing as area_listing
from services.cases.domain.case import Case, CaseNotFound
from services.cases.domain.disclosure import Viewer, sees_details
from services.cases.domain.intake import Report
from services.cases.domain.photos import PhotoNotAttachable
from services.cases.domain.triage import UnknownCategory
from services.cases.http.errors import http
from services.cases.http.schemas import (
    AreaListSchema,
    CaseIntakeSchema,
    CaseListQuery,
    CasePageSchema,
    CaseSchema,
    CategoryListSchema,
)
from services.cases.http.views import case_view, category_view
from services.cases.store import BadCursor

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
CORRELATION_HEADER = {
    "in": "header",
    "name": "X-Correlation-Id",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]+$"},
    "description": "Carried by every event the request causes.",
}


def idempotency_header(description: str) -> dict:
    return {
        "in": "header",
        "name": "Idempotency-Key",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
        "description": description,
    }


INTAKE_HEADERS = [
    idempotency_header("A retry with the same key returns the same case (200)."),
    CORRELATION_HEADER,
]
ACTION_HEADERS = [
    idempotency_header(
        "A repeat with the same key (a form sent twice, a retry) acts once and answers the "
        "case as it is (200); the same key for another action on the case is 422."
    ),
    CORRELATION_HEADER,
]


def idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise ValidationError({"Idempotency-Key": ["Use 1–200 printable ASCII characters."]})
    return key


CASE_ANSWER = CaseSchema()  # every action answers the case: built once, not per answer


def shown(case: Case, actor) -> dict:
    details = sees_details(case, viewer(actor))
    return CASE_ANSWER.dump(case_view(case, unmasked=actor.is_admin, details=details))


def viewer(actor) -> Viewer:
    return Viewer(actor.person_id, actor.role)


def act(store, request, actor, case_id: str, decide: Decide) -> tuple[int, dict]:
    """Run an action through the one use case every channel shares; answer the case."""
    case = actions.act(store, case_id, actor.sees, correlation_id(request), utc_now(), decide)
    return 200, shown(case, actor)


class CasesHttp:
    @http(
        "POST",
        "/v1/cases",
        summary="Report a problem",
        body=CaseIntakeSchema,
        responses={201: CaseSchema, 200: CaseSchema},
        headers=INTAKE_HEADERS,
        raises=(
            UnknownArea,
            UnknownCategory,
            IdempotencyKeyReused,
            ChannelNotAllowed,
            PhotoNotAttachable,
            LeaseBusy,
        ),
        scope="report",
    )
    def create_case(self, request, actor, body):
        require_channel(actor, body["channel"])
        received = Report(
            community_id=body["community_id"],
            description=body["description"],
            channel=body["channel"],
            location=body["location"],
            reporter=body.get("reporter") or {},
            category=body.get("category"),
            attachments=tuple(body["attachments"]),
        )
        uploader = photos.Uploader(actor.key_id, actor.person_id)
        photos.check_attachable(
            self.parts.photos, received.attachments, received.community_id, uploader
        )
        case, created = self.parts.intake.report(
            received,
            actions.by_actor(actor, body["channel"]),
            actor.sees,
            idempotency_key(request),
            correlation_id(request),
            utc_now(),
        )
        photos.attach(
            self.parts.photos, received.attachments, case.id, case.community_id, uploader
        )
        headers = {"Location": f"/v1/cases/{case.id}"}
        return (201 if created else 200), headers, shown(case, actor)

    @http(
        "GET",
        "/v1/cases",
        summary="Cases, newest first, filtered; pages by cursor",
        query=CaseListQuery,
        responses={200: CasePageSchema},
        raises=(BadCursor,),
        scope="read",
    )
    def list_cases(self, request, actor, query):
        page = actions.listing(self.parts.store, query, actor.visible_communities())
        return 200, {
            "cases": [shown(case, actor) for case in page.cases],
            "next_cursor": page.next_cursor,
        }

    @http(
        "GET",
        "/v1/cases/<string:case_id>",
        summary="A case, by id or readable number, with its timeline",
        responses={200: CaseSchema},
        raises=(CaseNotFound,),
        scope="read",
    )
    def get_case(self, request, actor, case_id):
        return 200, shown(actions.get(self.parts.store, case_id, actor.sees), actor)

    @http(
        "GET",
        "/v1/categories",
        summary="The category taxonomy: teams, priorities, time limits (what a report may "
        "name: a reporting key reads it too)",
        responses={200: CategoryListSchema},
        raises=(),
        scope=("read", "report"),
        uses_database=False,
    )
    def list_categories(self, request, actor):
        categories = self.parts.taxonomy.categories.values()
        return 200, {"categories": [category_view(category) for category in categories]}

    @http(
        "GET",
        "/v1/areas/<string:community_id>",
        summary="A community's grids, estates, buildings and units, as reports may name them "
        "(a reporting key of the community reads them too)",
        responses={200: AreaListSchema},
        raises=(CaseNotFound,),
        scope=("read", "report"),
    )
    def list_areas(self, request, actor, community_id):
        area = self.parts.store.community_map(community_id)
        if not area.known or not actor.sees(community_id):
            raise CaseNotFound(community_id)
        return 200, area_listing(area)
