"""Request and response schemas of the pact API (居民公约红黑榜). An observation leaves
with its household's place and what was seen, to those who may see it; a published list
leaves with nothing personal (domain/pact_list.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lianxin.photos import MAX_PHOTO_BYTES
from lianxin.quarters import QUARTER
from services.estate.domain.pact import DECISIONS, KINDS, MAX_ARTICLES, MAX_PHOTOS, STATES
from services.estate.domain.pact_reference import TEXT, TITLE

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="Use a-z, 0-9, _ and -, up to 64.")
PHOTO_ID = validate.Regexp(r"^pp_[A-Za-z0-9_-]{16,64}$")
PHONE = validate.Regexp(r"^\+?\d{5,20}$", error="Digits only.")
SURNAME = validate.Regexp(r"^([\u4e00-\u9fffA-Za-z]{1,2})?$", error="One or two letters.")


class CommunityQuery(Schema):
    community_id = fields.String(required=True, validate=CODE)


class QuarterQuery(CommunityQuery):
    quarter = fields.String(required=True, validate=QUARTER)


class ArticleBody(Schema):
    title = fields.String(required=True, validate=TITLE)
    text = fields.String(required=True, validate=TEXT)


class ArticleSchema(Schema):
    number = fields.Integer()
    version = fields.Integer()
    title = fields.String()
    text = fields.String()
    since = fields.AwareDateTime()
    edited_by = fields.String()


class PactSchema(Schema):
    estate_id = fields.String()
    community_id = fields.String()
    name = fields.String()
    articles = fields.List(fields.Nested(ArticleSchema), metadata={"description": "current"})
    versions = fields.List(fields.Nested(ArticleSchema), metadata={"description": "every one"})


class PactsSchema(Schema):
    community_id = fields.String()
    estates = fields.List(fields.Nested(PactSchema))


class PhotoUploadForm(Schema):
    community_id = fields.String(required=True, validate=CODE)
    photo = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        load_default=list,
        metadata={"description": f"1–{MAX_PHOTOS} JPEG, PNG or WebP files, "
                  f"{MAX_PHOTO_BYTES // 2**20} MB each at most"},
    )  # fmt: skip


class PhotoSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    uploaded_at = fields.AwareDateTime()


class PhotoListSchema(Schema):
    photos = fields.List(fields.Nested(PhotoSchema))


class ObservationBody(Schema):
    community_id = fields.String(required=True, validate=CODE)
    household_id = fields.String(required=True, validate=CODE)
    article_number = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_ARTICLES)
    )
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    seen = fields.String(required=True, validate=validate.Length(min=1, max=500))
    seen_at = fields.AwareDateTime(required=True)
    photos = fields.List(
        fields.String(validate=PHOTO_ID), load_default=list,
        validate=validate.Length(max=MAX_PHOTOS),
    )  # fmt: skip


class DecisionBody(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class ResidentBody(CommunityQuery):
    phone = fields.String(
        required=True, validate=PHONE,
        metadata={"description": "a number the residents' page proved by SMS code"},
    )  # fmt: skip


class AnswerBody(ResidentBody):
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    surname = fields.String(
        load_default="", validate=SURNAME,
        metadata={"description": "on a commendation: the surname the household agrees to "
                  "show on the red list"},
    )  # fmt: skip


class ResidentPhotoBody(ResidentBody):
    variant = fields.String(load_default="thumb", validate=validate.OneOf(("thumb", "full")))


class PlaceSchema(Schema):
    household_id = fields.String()
    building_id = fields.String()
    building_name = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    room = fields.String()


class AnswerSchema(Schema):
    text = fields.String()
    at = fields.AwareDateTime()
    surname = fields.String()


class DecisionSchema(Schema):
    outcome = fields.String()
    note = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()


class ObservationSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    estate_id = fields.String()
    place = fields.Nested(PlaceSchema)
    kind = fields.String()
    article_number = fields.Integer()
    article_version = fields.Integer()
    article_title = fields.String()
    seen = fields.String()
    seen_at = fields.AwareDateTime()
    photos = fields.List(fields.String())
    recorded_by = fields.String()
    recorded_role = fields.String()
    recorded_at = fields.AwareDateTime()
    answer_until = fields.AwareDateTime()
    quarter = fields.String()
    answer = fields.Nested(AnswerSchema, allow_none=True)
    decision = fields.Nested(DecisionSchema, allow_none=True)
    state = fields.String(validate=validate.OneOf(STATES))


class ObservationsSchema(Schema):
    community_id = fields.String()
    quarter = fields.String(allow_none=True)
    timezone = fields.String()
    observations = fields.List(fields.Nested(ObservationSchema))


class ResidentObservationsSchema(ObservationsSchema):
    households = fields.List(fields.String())


class RulesSchema(Schema):
    answer_window_seconds = fields.Integer(
        metadata={"description": "the household's window to answer"}
    )
    black_min_breaches = fields.Integer()
    red_min_commendations = fields.Integer()


class ListLineSchema(Schema):
    building = fields.String()
    unit = fields.String()
    room = fields.String(metadata={"description": "masked: 12**"})
    count = fields.Integer()
    articles = fields.List(fields.Integer())
    surname = fields.String(metadata={"description": "red list only, given with consent"})


class ArticleTitleSchema(Schema):
    number = fields.Integer()
    title = fields.String()


class PactListSchema(Schema):
    community_id = fields.String()
    quarter = fields.String()
    black = fields.List(fields.Nested(ListLineSchema))
    red = fields.List(fields.Nested(ListLineSchema))
    rules = fields.Nested(RulesSchema)
    articles = fields.List(fields.Nested(ArticleTitleSchema))
    published_at = fields.AwareDateTime(allow_none=True)
    published = fields.Boolean()


class PreviewSchema(Schema):
    preview = fields.Nested(PactListSchema)
    states = fields.Dict(keys=fields.String(), values=fields.Integer())
    published = fields.Nested(PactListSchema, allow_none=True)


class PublishBody(CommunityQuery):
    quarter = fields.String(required=True, validate=QUARTER)
    confirm = fields.Boolean(
        required=True, validate=validate.Equal(True, error="Confirm the publication."),
        metadata={"description": "the staff member confirmed: the list is frozen once published"},
    )  # fmt: skip
