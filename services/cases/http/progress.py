"""A resident's progress page over HTTP (rules: domain/progress.py, work: app/progress.py).

These routes take no key: the token in the path — the link of a progress message, signed
by the services (lianxin.access.progress_links) — is the credential, as a public Open311
route needs none. A token altered, unknown or expired, or a photo the page does not show,
is 404, the same answer for each. The console renders the page (`/r/<token>`); an app may
call these routes as well.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from lianxin.clock import utc_now
from lianxin.http.reading import correlation_id
from lianxin.store.lease import LeaseBusy
from services.cases.app import progress
from services.cases.domain.case import CaseNotFound, InvalidTransition, NotPermitted
from services.cases.domain.photos import PhotoNotFound
from services.cases.domain.progress import AlreadyRated
from services.cases.http.cases import CORRELATION_HEADER, idempotency_header, idempotency_key
from services.cases.http.errors import http
from services.cases.http.photos import photo_response
from services.cases.http.schemas import RateSchema

PATH = "/v1/progress/<string:token>"
RATING_HEADERS = [
    idempotency_header("The same form sent twice rates once and answers the page as it is."),
    CORRELATION_HEADER,
]
LABEL = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)


class ProgressStepSchema(Schema):
    at = fields.AwareDateTime(required=True)
    event = fields.String(
        required=True,
        metadata={"description": "what happened: reported, accepted, dispatched, handling, "
                  "escalated, waiting, resumed, resolved, closed, rated, reopened, rejected, "
                  "merged, withdrawn"},
    )  # fmt: skip


class ProgressPhotoSchema(Schema):
    id = fields.String(required=True)
    tag = fields.String(required=True, metadata={"description": "report, before or after"})
    step = fields.String(required=True, metadata={"description": "report or resolve"})


class ProgressRatingSchema(Schema):
    rating = fields.Integer(required=True)
    comment = fields.String(required=True)


class CaseNumberSchema(Schema):
    number = fields.String(required=True)


class ProgressSchema(Schema):
    """A case as its resident sees it: no name, person id, phone or note of anyone."""

    number = fields.String(required=True)
    community_id = fields.String(required=True)
    timezone = fields.String(required=True, metadata={"description": "the community's zone"})
    stage = fields.String(
        required=True,
        metadata={"description": "reported, dispatched, handling, resolved, closed; or "
                  "rejected, merged, withdrawn"},
    )  # fmt: skip
    reporter = fields.Boolean(
        required=True, metadata={"description": "the link is the reporter's (not a follower's)"}
    )
    details = fields.Boolean(
        required=True, metadata={"description": "false: a private case, for a follower"}
    )
    reported_at = fields.AwareDateTime(required=True)
    timeline = fields.List(fields.Nested(ProgressStepSchema), required=True)
    merged_into = fields.Nested(CaseNumberSchema, allow_none=True, required=True)
    may_rate = fields.Boolean(required=True)
    rating = fields.Nested(ProgressRatingSchema, allow_none=True, required=True)
    category_label = LABEL
    description = fields.String(required=True)
    place = fields.String(required=True)
    resolution = fields.String(allow_none=True, required=True)
    resolved_at = fields.AwareDateTime(allow_none=True, required=True)
    reason = fields.String(
        allow_none=True, required=True, metadata={"description": "why it was not taken up"}
    )
    photos = fields.List(fields.Nested(ProgressPhotoSchema), required=True)


class ProgressHttp:
    @http(
        "GET",
        PATH,
        summary="A resident's view of their case, by the link of a progress message (no key: "
        "the token is the credential)",
        responses={200: ProgressSchema},
        raises=(CaseNotFound,),
    )
    def get_progress(self, request, token):
        reader = progress.reader_of(self.tokens.progress_links, token, utc_now())
        return 200, ProgressSchema().dump(
            progress.view(self.parts.store, self.parts.photos, reader)
        )

    @http(
        "POST",
        f"{PATH}/rating",
        summary="The reporter rates their closed case (1–5, a comment), once per case; a "
        "follower's link may not",
        body=RateSchema,
        responses={200: ProgressSchema},
        headers=RATING_HEADERS,
        raises=(CaseNotFound, NotPermitted, InvalidTransition, AlreadyRated, LeaseBusy),
    )
    def rate_by_progress(self, request, token, body):
        now = utc_now()
        reader = progress.reader_of(self.tokens.progress_links, token, now)
        progress.rate(
            self.parts.store, reader, body, correlation_id(request), now, idempotency_key(request)
        )
        return 200, ProgressSchema().dump(
            progress.view(self.parts.store, self.parts.photos, reader)
        )

    @http(
        "GET",
        f"{PATH}/photos/<string:photo_id>",
        summary="A photo the progress page shows (its report's or a resolve step's)",
        responses={200: None},
        raises=(CaseNotFound, PhotoNotFound),
    )
    def get_progress_photo(self, request, token, photo_id):
        return self._progress_photo(token, photo_id, "full")

    @http(
        "GET",
        f"{PATH}/photos/<string:photo_id>/thumbnail",
        summary="The thumbnail of a photo the progress page shows",
        responses={200: None},
        raises=(CaseNotFound, PhotoNotFound),
    )
    def get_progress_thumbnail(self, request, token, photo_id):
        return self._progress_photo(token, photo_id, "thumb")

    def _progress_photo(self, token: str, photo_id: str, variant: str):
        reader = progress.reader_of(self.tokens.progress_links, token, utc_now())
        found, content = progress.photo(
            self.parts.store, self.parts.photos, reader, photo_id, variant
        )
        return photo_response(found, content)
