"""Request and response schemas of notices (http/notices.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notify.domain.notices import AUDIENCE_KINDS, CHANNELS

AREA = validate.Length(min=1, max=64)
IDEMPOTENCY_HEADERS = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]+$"},
        "description": "names the request: a retry answers the notice it made, and sends "
        "nothing again; the same key with another notice is 409",
    }
]


class AudienceQuery(Schema):
    community_id = fields.String(required=True, validate=AREA)
    audience = fields.String(required=True, validate=validate.OneOf(AUDIENCE_KINDS))
    code = fields.String(required=True, validate=AREA)


class NoticeBody(AudienceQuery):
    title = fields.String(required=True, validate=validate.Length(min=1, max=60))
    body = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    urgent = fields.Boolean(load_default=False)
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        load_default=list(CHANNELS),
        validate=validate.Length(min=1, max=len(CHANNELS)),
    )


class NoticeListQuery(Schema):
    community_id = fields.String(required=True, validate=AREA)
    before = fields.AwareDateTime(metadata={"description": "the previous page's next_before"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AudienceSchema(Schema):
    kind = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    grid_id = fields.String(allow_none=True, required=True)


class PreviewSchema(Schema):
    audience = fields.Nested(AudienceSchema, required=True)
    units = fields.Integer(required=True)
    groups = fields.Integer(required=True, metadata={"description": "unit leaders' groups"})
    units_without_group = fields.Integer(required=True)
    sms = fields.Integer(required=True, metadata={"description": "people to text"})
    people_without_sms = fields.Integer(required=True)


class ChannelCountsSchema(Schema):
    made = fields.Integer(required=True)
    sent = fields.Integer(required=True)
    failed = fields.Integer(required=True, metadata={"description": "no attempt left"})
    read = fields.Integer(
        allow_none=True, required=True, metadata={"description": "null: the channel never tells"}
    )


class ReaderSchema(Schema):
    name = fields.String(required=True, metadata={"description": "masked"})
    read_at = fields.AwareDateTime(required=True)


class NoticeSchema(Schema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    audience = fields.Nested(AudienceSchema, required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    channels = fields.List(fields.String(), required=True)
    author_name = fields.String(required=True, metadata={"description": "masked"})
    sent_at = fields.AwareDateTime(required=True)
    planned = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True,
        metadata={"description": "recipients per channel; empty while the fan-out is planned"},
    )  # fmt: skip
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelCountsSchema))
    readers = fields.List(fields.Nested(ReaderSchema))


class NoticeListSchema(Schema):
    community_id = fields.String(required=True)
    notices = fields.List(fields.Nested(NoticeSchema), required=True)
    next_before = fields.AwareDateTime(allow_none=True, required=True)


class ReceiptSchema(Schema):
    """A notice as its reader sees it: no author, no counts."""

    community = fields.String(required=True)
    audience = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    sent_at = fields.AwareDateTime(required=True)
    timezone = fields.String(required=True)
    read_at = fields.AwareDateTime(allow_none=True, required=True)
