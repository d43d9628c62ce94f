"""Request, response and event payload schemas of the cases service."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from lianxin.auth import KEY_EVENTS, ROLES, SCOPES
from lianxin.envelope import PayloadSchemas
from lianxin.privacy import mask_name, mask_phone

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="Use 1–64 of a-z, 0-9, _ and -.")
CATEGORY = validate.Regexp(
    r"^[a-z_]+\.[a-z_]+$", error="Use a category code like facility.lighting."
)
CHANNELS = ("app", "hotline", "patrol", "wechat", "walk_in", "open311")


class LocationSchema(Schema):
    grid_id = fields.String(required=True, validate=SLUG)
    address = fields.String(validate=validate.Length(max=200))
    building = fields.String(validate=validate.Length(max=20))
    unit = fields.String(validate=validate.Length(max=20))
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))


class ReporterSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=50))
    phone = fields.String(validate=validate.Regexp(r"^\+?\d{5,20}$", error="Digits only."))


class CaseIntakeSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    community_id = fields.String(required=True, validate=SLUG)
    channel = fields.String(load_default="app", validate=validate.OneOf(CHANNELS))
    category = fields.String(validate=CATEGORY)
    location = fields.Nested(LocationSchema, required=True)
    reporter = fields.Nested(ReporterSchema)


class AcceptSchema(Schema):
    person_id = fields.String(required=True, validate=SLUG)


class ResolveSchema(Schema):
    person_id = fields.String(required=True, validate=SLUG)
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    volunteer_hours = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=24))


class StepSchema(Schema):
    at = fields.AwareDateTime()
    action = fields.String()
    state = fields.String()
    by = fields.String()
    note = fields.String()


class CaseSchema(Schema):
    """What the API shows of a case: personal data masked."""

    id = fields.String()
    state = fields.String()
    community_id = fields.String()
    grid_id = fields.String()
    category = fields.String()
    team = fields.String()
    priority = fields.String()
    description = fields.String()
    channel = fields.String()
    reported_at = fields.AwareDateTime()
    accept_by = fields.AwareDateTime(allow_none=True)
    resolve_by = fields.AwareDateTime(allow_none=True)
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    volunteer_hours = fields.Float()
    location = fields.Dict()
    reporter = fields.Method("masked_reporter")
    timeline = fields.List(fields.Nested(StepSchema))

    def masked_reporter(self, case) -> dict:
        return {
            "name": mask_name(case.reporter.get("name", "")),
            "phone": mask_phone(case.reporter.get("phone", "")),
        }


class _About(Schema):
    class Meta:
        unknown = EXCLUDE

    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    category = fields.String(required=True)
    team = fields.String(required=True)
    priority = fields.String(required=True)


class CaseReported(_About):
    channel = fields.String(required=True)
    reported_at = fields.AwareDateTime(required=True)


class CaseTriaged(_About):
    location = fields.Dict(required=True)
    accept_by = fields.AwareDateTime(required=True)
    resolve_by = fields.AwareDateTime(required=True)


class CaseDispatched(_About):
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    accept_by = fields.AwareDateTime(allow_none=True)


class CaseEscalated(_About):
    level = fields.String(required=True)
    reason = fields.String(required=True)


class CaseAccepted(_About):
    person_id = fields.String(required=True)


class CaseResolved(_About):
    person_id = fields.String(required=True)
    volunteer_hours = fields.Float(required=True)
    on_time = fields.Boolean(required=True)


class OfferMade(Schema):
    """From roster: a volunteer on duty was offered the case."""

    class Meta:
        unknown = EXCLUDE

    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)


class EscalationRequired(Schema):
    """From roster: nobody can take the case at this level."""

    class Meta:
        unknown = EXCLUDE

    case_id = fields.String(required=True)
    level = fields.String(required=True)
    reason = fields.String(required=True)


EVENTS = PayloadSchemas(
    {
        **KEY_EVENTS.schemas,
        ("case.reported", 1): CaseReported(),
        ("case.triaged", 1): CaseTriaged(),
        ("case.dispatched", 1): CaseDispatched(),
        ("case.escalated", 1): CaseEscalated(),
        ("case.accepted", 1): CaseAccepted(),
        ("case.resolved", 1): CaseResolved(),
        ("offer.made", 1): OfferMade(),
        ("escalation.required", 1): EscalationRequired(),
    }
)


class KeyRequestSchema(Schema):
    """A new API key: for an integration (hotline, app, civic app) or bound to one person."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
    )
    communities = fields.List(
        fields.String(validate=validate.Regexp(r"^(\*|[a-z0-9][a-z0-9_-]{0,63})$")),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'Community ids, or ["*"] for all.'},
    )
    person_id = fields.String(validate=SLUG, metadata={"description": "a person-bound key"})
    role = fields.String(validate=validate.OneOf(ROLES))

    @validates_schema
    def person_has_a_role(self, data, **kwargs):
        if ("person_id" in data) != ("role" in data):
            raise ValidationError("A person-bound key names both person_id and role.", "role")


class KeySchema(Schema):
    id = fields.String()
    name = fields.String()
    scopes = fields.List(fields.String())
    communities = fields.List(fields.String())
    person_id = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class IssuedKeySchema(KeySchema):
    key = fields.String(metadata={"description": "the key itself: shown this once only"})


class KeyListSchema(Schema):
    keys = fields.List(fields.Nested(KeySchema))


class PersonTokenRequestSchema(Schema):
    person_id = fields.String(required=True, validate=SLUG)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    communities = fields.List(
        fields.String(validate=validate.Regexp(r"^(\*|[a-z0-9][a-z0-9_-]{0,63})$")),
        required=True,
        validate=validate.Length(min=1, max=200),
    )


class PersonTokenSchema(Schema):
    token = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds"})
