"""Photos over HTTP: uploading (multipart, before the report or step that names them) and
reading a photo or its thumbnail. The rules are domain/photos.py's, the work app/photos.py's.

A photo is read with the same answer whether it does not exist or the caller may not see
it (404), and served with its own type, `nosniff`, and no caching by shared caches: it
shows a household's door or a resident's face.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from lianxin.access.actors import Actor
from lianxin.clock import utc_now
from lianxin.photos import MAX_PHOTO_BYTES, PHOTO_HEADERS
from lianxin.store.lease import LeaseBusy
from services.cases.app import actions, photos
from services.cases.compose import Parts
from services.cases.domain import open311
from services.cases.domain.case import Case, CaseNotFound
from services.cases.domain.disclosure import sees_details
from services.cases.domain.photos import (
    MAX_PHOTOS_PER_STEP,
    TAGS,
    Photo,
    PhotoNotFound,
    PhotoRefused,
    Uploader,
    reference,
)
from services.cases.http.cases import viewer
from services.cases.http.errors import http
from services.cases.http.open311_route import MEDIA_PATH
from services.cases.http.schemas import Instant

# the largest upload: nine photos of the largest size, and the form around them
MAX_UPLOAD_BYTES = MAX_PHOTOS_PER_STEP * MAX_PHOTO_BYTES + 64 * 1024


class PhotoUploadForm(Schema):
    community_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    tag = fields.String(
        load_default="report",
        validate=validate.OneOf(TAGS),
        metadata={"description": "what it shows: the problem (report) or the work (before, after)"},
    )
    photo = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        load_default=list,
        metadata={"description": f"1–{MAX_PHOTOS_PER_STEP} JPEG, PNG or WebP files, "
                  f"{MAX_PHOTO_BYTES // 2**20} MB each at most"},
    )  # fmt: skip


class PhotoSchema(Schema):
    id = fields.String(required=True)
    reference = fields.String(
        required=True, metadata={"description": "what a report's or step's attachments name"}
    )
    community_id = fields.String(required=True)
    case_id = fields.String(allow_none=True, metadata={"description": "null until attached"})
    tag = fields.String(required=True)
    content_type = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    size = fields.Integer(required=True)
    url = fields.String(required=True)
    thumbnail_url = fields.String(required=True)
    uploaded_at = Instant(required=True)


class PhotoListSchema(Schema):
    photos = fields.List(fields.Nested(PhotoSchema), required=True)


def photo_view(photo: Photo) -> dict:
    url = f"/v1/photos/{photo.id}"
    return {
        **{key: getattr(photo, key) for key in ("id", "community_id", "case_id", "tag")},
        **{key: getattr(photo, key) for key in ("content_type", "width", "height", "size")},
        "reference": reference(photo.id),
        "url": url,
        "thumbnail_url": f"{url}/thumbnail",
        "uploaded_at": photo.uploaded_at,
    }


def uploader_of(actor: Actor) -> Uploader:
    return Uploader(actor.key_id, actor.person_id)


class PhotosHttp:
    @http(
        "POST",
        "/v1/photos",
        summary="Upload photos for a report or a step that will name them (`photo:<id>`); "
        "kept without their metadata, with a thumbnail",
        upload=PhotoUploadForm,
        files="photo",
        max_body_bytes=MAX_UPLOAD_BYTES,
        responses={201: PhotoListSchema},
        raises=(PhotoRefused, LeaseBusy),
        scope=("report", "act"),
    )
    def upload_photos(self, request, actor, body, files):
        kept = photos.upload(
            self.parts.photos, files, body["community_id"], body["tag"], uploader_of(actor),
            actor.sees, utc_now(),
        )  # fmt: skip
        return 201, PhotoListSchema().dump({"photos": [photo_view(photo) for photo in kept]})

    @http(
        "GET",
        "/v1/photos/<string:photo_id>",
        summary="A photo, for its uploader or whoever may read its case",
        responses={200: None},
        raises=(PhotoNotFound,),
        scope="read",
    )
    def get_photo(self, request, actor, photo_id):
        return self._photo(actor, photo_id, "full")

    @http(
        "GET",
        "/v1/photos/<string:photo_id>/thumbnail",
        summary="A photo's thumbnail (320 px on its longer edge)",
        responses={200: None},
        raises=(PhotoNotFound,),
        scope="read",
    )
    def get_photo_thumbnail(self, request, actor, photo_id):
        return self._photo(actor, photo_id, "thumb")

    @http(
        "GET",
        f"{MEDIA_PATH}/<string:photo_id>",
        summary="A photo of an Open311 request (its media_url): without a key, of a public "
        "request only; with one, of any case the key may read",
        responses={200: None},
        raises=(PhotoNotFound,),
        scope="read",
        public=True,
    )
    def get_request_media(self, request, actor, photo_id):
        parts = self.parts
        if actor is None:
            public = photos.case_visible(lambda case_id: _public(parts, case_id))
            photo, content = photos.read(parts.photos, photo_id, "full", None, public)
            return photo_response(photo, content)
        return self._photo(actor, photo_id, "full")

    def _photo(self, actor: Actor, photo_id: str, variant: str) -> Response:
        store = self.parts.store
        visible = photos.case_visible(lambda case_id: _detailed(store, case_id, actor))
        photo, content = photos.read(
            self.parts.photos, photo_id, variant, uploader_of(actor), visible
        )
        return photo_response(photo, content)


def photo_response(photo: Photo, content: bytes) -> Response:
    return Response(content, status=200, mimetype=photo.content_type, headers=PHOTO_HEADERS)


def _detailed(store, case_id: str, actor: Actor) -> Case:
    """The case if the actor may see its details, photos included (domain/disclosure.py)."""
    case = actions.get(store, case_id, actor.sees)
    if not sees_details(case, viewer(actor)):
        raise CaseNotFound(case_id)
    return case


def _public(parts: Parts, case_id: str) -> Case:
    """The case if the public may see it (a sorted case of a public category); else not
    found, as a missing one."""
    case = actions.get(parts.store, case_id, lambda community_id: True)
    if not open311.is_public(case, parts.taxonomy):
        raise CaseNotFound(case_id)
    return case
