"""Request and response schemas of the cases API (event payloads: events.py, from the
shared contracts)."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lianxin.access.actors import CHANNELS, ROLES, SCOPES
from lianxin.clock import utc_now
from lianxin.contracts.roster import ESCALATION_LEVELS
from services.cases.domain.case import STATES
from services.cases.domain.photos import REFERENCE as PHOTO_REFERENCE

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="Use 1–64 of a-z, 0-9, _ and -.")
CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", error="Use 1–64 of A-Z, 0-9, _ . -")
CATEGORY = validate.Regexp(
    r"^[a-z_]+\.[a-z_]+$", error="Use a category code like facility.lighting."
)
PRIORITY = validate.OneOf(("low", "normal", "high", "urgent"))
PHONE = validate.Regexp(r"^\+?\d{5,20}$", error="Digits only, 5–20, an optional leading +.")
URL = validate.URL(schemes={"http", "https"}, require_tld=False)
COMMUNITY_OR_ALL = validate.Regexp(r"^(\*|[a-z0-9][a-z0-9_-]{0,63})$")
MAX_DESCRIPTION = 4000
MAX_ATTACHMENTS = 10


class Instant(fields.AwareDateTime):
    """A moment as MongoDB keeps it, to the millisecond: what an answer shows is what a
    later read shows."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _text(max_length: int, required: bool = False, **kwargs) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(min=1 if required else 0, max=max_length),
        **kwargs,
    )


def _url_or_photo(value: str) -> None:
    """An attachment is a link (http/https) or a photo uploaded first (`photo:<id>`)."""
    if not PHOTO_REFERENCE.match(value):
        URL(value)


def attachments() -> fields.List:
    return fields.List(
        fields.String(validate=[validate.Length(max=500), _url_or_photo]),
        load_default=list,
        validate=validate.Length(max=MAX_ATTACHMENTS),
        metadata={
            "description": "photos uploaded first (`photo:<id>`, POST /v1/photos) or "
            "document URLs (http/https)"
        },
    )


class LocationSchema(Schema):
    grid_id = fields.String(validate=CODE, metadata={"description": "the grid, if known"})
    area_code = fields.String(
        validate=CODE, metadata={"description": "an estate, building or unit code (GET /v1/areas)"}
    )
    estate = _text(40, metadata={"description": "estate code or name"})
    building = _text(40, metadata={"description": "building code or name, e.g. 5栋"})
    unit = _text(40, metadata={"description": "unit code or name, e.g. 2单元"})
    address = _text(200)
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    lon = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)

    @validates_schema
    def point_has_both(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give both lat and lon, or neither.", "lat")


class ReporterSchema(Schema):
    name = _text(50)
    phone = fields.String(validate=PHONE)
    email = fields.Email(validate=validate.Length(max=200))
    consent = fields.Boolean(
        load_default=False, metadata={"description": "the resident agrees to progress messages"}
    )


class CaseIntakeSchema(Schema):
    description = _text(MAX_DESCRIPTION, required=True)
    community_id = fields.String(required=True, validate=SLUG)
    channel = fields.String(load_default="app", validate=validate.OneOf(CHANNELS))
    category = fields.String(
        validate=CATEGORY, metadata={"description": "omit to let triage decide"}
    )
    location = fields.Nested(LocationSchema, required=True)
    reporter = fields.Nested(ReporterSchema)
    attachments = attachments()


class NoteSchema(Schema):
    note = _text(1000)
    attachments = attachments()


class NoteTextSchema(Schema):
    note = _text(1000, required=True)
    attachments = attachments()


class ReasonSchema(Schema):
    reason = _text(1000, required=True)


class ResolveSchema(Schema):
    resolution = _text(2000, required=True)
    volunteer_hours = fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=24),
        allow_nan=False,
        metadata={
            "description": "the time the volunteer says it took, for staff checking "
            "the work; roster credits volunteer hours by its own rules"
        },
    )
    attachments = attachments()


class RateSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = _text(1000)


class AssignSchema(Schema):
    person_id = fields.String(required=True, validate=SLUG)
    display_name = _text(50, required=True)
    note = _text(1000)


class PlaceSchema(Schema):
    """A place picked from the community's areas (GET /v1/areas/<community_id>)."""

    grid_id = fields.String(validate=CODE, metadata={"description": "a grid of the community"})
    area_code = fields.String(
        validate=CODE, metadata={"description": "an estate, building or unit code in it"}
    )

    @validates_schema
    def names_a_place(self, data, **kwargs):
        if not data:
            raise ValidationError("Give a grid_id, an area_code or both.", "grid_id")


class TriageSchema(Schema):
    category = fields.String(required=True, validate=CATEGORY)
    priority = fields.String(validate=PRIORITY)
    location = fields.Nested(
        PlaceSchema,
        metadata={"description": "place a case intake could not: it moves to that grid"},
    )


class MergeSchema(Schema):
    into = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "the open case this one duplicates: its id or number"},
    )


class EscalateSchema(Schema):
    level = fields.String(required=True, validate=validate.OneOf(ESCALATION_LEVELS))
    reason = _text(1000, required=True)
    department = _text(100, metadata={"description": "for a referral to a district department"})


class ExtensionRequestSchema(Schema):
    until = Instant(required=True, metadata={"description": "the new resolve-by"})
    reason = _text(1000, required=True)


def _desk_minutes() -> fields.Integer:
    """How long an appointment or a session at the desk lasts: a quarter to four hours."""
    return fields.Integer(load_default=60, strict=True, validate=validate.Range(min=15, max=240))


class AppointmentSchema(Schema):
    starts_at = Instant(
        required=True, metadata={"description": "inside one of the desk's sessions, to come"}
    )
    minutes = _desk_minutes()
    venue = _text(200, load_default="", metadata={"description": "where the parties come"})


class MediationOutcomeSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(("agreement", "referral")))
    agreement = _text(2000, load_default="", metadata={"description": "what was agreed"})
    signed_by = fields.List(
        _text(50, required=True),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "the parties who signed the agreement"},
    )
    referred_to = fields.String(
        validate=validate.OneOf(("peoples_mediation", "court", "department")),
        metadata={"description": "a referral: people's mediation, a court or a department"},
    )
    department = _text(100, load_default="")


class FollowUpSchema(Schema):
    note = _text(
        2000,
        required=True,
        metadata={"description": "what the follow-up visit found, or what the referral answered"},
    )
    happened_at = Instant(
        metadata={"description": "when the visit was made or the referral answered (now)"}
    )


class SessionSchema(Schema):
    held_at = Instant(
        required=True, metadata={"description": "inside one of the desk's sessions, not to come"}
    )
    minutes = _desk_minutes()
    parties = fields.List(
        fields.String(validate=validate.Regexp(r"^P[0-9]{1,2}$")),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": "the parties present, by the ids the case gave them (P1, ...)"},
    )
    mediators = fields.List(
        fields.String(validate=SLUG),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": "the mediators present, by person id"},
    )
    note = _text(
        500, load_default="", metadata={"description": "kept on the case, never in an event"}
    )


class PartySchema(Schema):
    name = _text(50, required=True)
    role = fields.String(
        required=True, validate=validate.OneOf(("applicant", "respondent", "other"))
    )
    phone = fields.String(validate=PHONE)
    consent = fields.Boolean(
        required=True,
        metadata={"description": "the party agrees to be recorded; without it nothing is"},
    )


class ExtensionDecisionSchema(Schema):
    approved = fields.Boolean(required=True)
    note = _text(1000)


class CaseListQuery(Schema):
    community_id = fields.String(validate=SLUG)
    grid_id = fields.String(validate=CODE)
    state = fields.String(validate=validate.OneOf(sorted(STATES)))
    category = fields.String(validate=CATEGORY)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    overdue = fields.Boolean()
    since = fields.AwareDateTime(data_key="from", default_timezone=UTC)
    until = fields.AwareDateTime(data_key="to", default_timezone=UTC)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=200))

    @validates_schema
    def range_is_sane(self, data, **kwargs):
        if "since" in data and "until" in data and data["since"] > data["until"]:
            raise ValidationError("Must not be after `to`.", "from")


# Responses


class StepSchema(Schema):
    at = fields.AwareDateTime()
    action = fields.String()
    state = fields.String()
    by = fields.String()
    channel = fields.String()
    role = fields.String(allow_none=True)
    note = fields.String()
    attachments = fields.List(fields.String())


class ReporterView(Schema):
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class EmergencyView(Schema):
    kind = fields.String()
    call = fields.String(metadata={"description": "the number to call now: 119, 120 or 110"})


class CaseRefView(Schema):
    case_id = fields.String()
    number = fields.String()


class HotlineView(Schema):
    hotline_id = fields.String()
    order_no = fields.String()
    deadline = fields.AwareDateTime(allow_none=True)


class ExtensionView(Schema):
    until = fields.AwareDateTime()
    reason = fields.String()
    by = fields.String()
    state = fields.String(metadata={"enum": ["pending", "approved", "refused"]})


class AppointmentView(Schema):
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    venue = fields.String()
    by = fields.String()


class FollowedUpView(Schema):
    note = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()
    happened_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "when the visit was made or the answer came"}
    )


class SessionView(Schema):
    id = fields.String()
    held_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    parties = fields.List(fields.String(), metadata={"description": "present, by party id"})
    mediators = fields.List(fields.String(), metadata={"description": "present, by person id"})
    note = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()


class PartyView(Schema):
    id = fields.String()
    name = fields.String(metadata={"description": "masked but to admin"})
    role = fields.String()
    phone = fields.String(allow_none=True, metadata={"description": "masked but to admin"})
    consent_at = fields.AwareDateTime()


class MediationView(Schema):
    result = fields.String()
    agreement = fields.String(allow_none=True)
    signed_by = fields.List(fields.String(), metadata={"description": "masked but to admin"})
    follow_up_due = fields.AwareDateTime(allow_none=True)
    reminded_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "the follow-up visit's reminder, if sent"}
    )
    referred_to = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    by = fields.String()
    at = fields.AwareDateTime()
    followed_up = fields.Nested(FollowedUpView, allow_none=True)


class EscalationView(Schema):
    level = fields.String()
    step = fields.Integer(allow_none=True)
    reason = fields.String()
    target = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))


class LocationView(Schema):
    grid_id = fields.String()
    area_code = fields.String(allow_none=True)
    estate = fields.String(allow_none=True)
    building = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class TriageView(Schema):
    reporter = fields.String(allow_none=True, metadata={"description": "the category given"})
    keywords = fields.List(fields.String(), metadata={"description": "the phrases that matched"})
    staff = fields.String(allow_none=True, metadata={"description": "who triaged by hand"})
    suggestions = fields.List(
        fields.String(),
        metadata={"description": "categories the report partly matched, best first"},
    )


class CaseSchema(Schema):
    """What the API shows of a case: the reporter's name and phone, and phone numbers in
    the text, are masked for every key but an admin's."""

    id = fields.String()
    number = fields.String(metadata={"description": "readable, per community and day"})
    state = fields.String(metadata={"enum": sorted(STATES)})
    community_id = fields.String()
    grid_id = fields.String()
    category = fields.String()
    category_label = fields.Dict(keys=fields.String(), values=fields.String())
    private = fields.Boolean(
        metadata={"description": "a private category's case: details for the assignee and staff"}
    )
    team = fields.String()
    priority = fields.String()
    triage = fields.Nested(TriageView)
    description = fields.String()
    channel = fields.String()
    reported_at = fields.AwareDateTime()
    location = fields.Nested(LocationView)
    place = fields.String()
    reporter = fields.Nested(ReporterView, allow_none=True)
    attachments = fields.List(fields.String())
    hotline = fields.Nested(HotlineView, allow_none=True)
    emergency = fields.Nested(EmergencyView, allow_none=True)
    accept_by = fields.AwareDateTime(allow_none=True)
    resolve_by = fields.AwareDateTime(allow_none=True)
    overdue = fields.List(fields.String(), metadata={"description": "limits breached"})
    suspended = fields.Boolean()
    escalation = fields.Nested(EscalationView, allow_none=True)
    extension = fields.Nested(ExtensionView, allow_none=True)
    appointment = fields.Nested(
        AppointmentView,
        allow_none=True,
        metadata={"description": "a desk's case: when the parties come"},
    )
    mediation = fields.Nested(
        MediationView, allow_none=True, metadata={"description": "a desk's outcome"}
    )
    parties = fields.List(fields.Nested(PartyView), metadata={"description": "a dispute's"})
    sessions = fields.List(
        fields.Nested(SessionView), metadata={"description": "a dispute's sessions at the desk"}
    )
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    volunteer_hours = fields.Float()
    rating = fields.Integer(allow_none=True)
    reopen_count = fields.Integer()
    merged_into = fields.Nested(CaseRefView, allow_none=True)
    duplicates = fields.Integer(metadata={"description": "reports merged into this case"})
    version = fields.Integer()
    timeline = fields.List(fields.Nested(StepSchema))


class CasePageSchema(Schema):
    cases = fields.List(fields.Nested(CaseSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `cursor` for the next page"}
    )


class CategoryView(Schema):
    code = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    group = fields.String()
    team = fields.String()
    priority = fields.String()
    private = fields.Boolean(
        metadata={"description": "about a household, not a place: staff alone read its text"}
    )
    limits = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Float()),
        metadata={"description": "per priority: accept_minutes, resolve_hours"},
    )
    duplicates = fields.Dict(keys=fields.String(), values=fields.Float())


class CategoryListSchema(Schema):
    categories = fields.List(fields.Nested(CategoryView))


class AreaView(Schema):
    code = fields.String()
    kind = fields.String()
    parent = fields.String(allow_none=True)
    name = fields.String()
    grid_id = fields.String(allow_none=True)


class AreaListSchema(Schema):
    community_id = fields.String()
    name = fields.String()
    timezone = fields.String()
    areas = fields.List(fields.Nested(AreaView))


# The hotline's work orders


class CallerSchema(Schema):
    name = _text(50)
    phone = fields.String(validate=PHONE)
    consent = fields.Boolean(load_default=False)


class HotlineOrderSchema(Schema):
    """A 12345 work order (工单)."""

    hotline_id = fields.String(
        validate=SLUG,
        metadata={
            "example": "changsha-12345",
            "description": "the hotline the key is bound to; may be omitted",
        },
    )
    order_no = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="1–64 of A-Z, 0-9, _ and -."),
    )
    community_id = fields.String(required=True, validate=SLUG)
    description = _text(MAX_DESCRIPTION, required=True)
    category_text = _text(200, metadata={"description": "the hotline's own category, free text"})
    caller = fields.Nested(CallerSchema)
    location = fields.Nested(LocationSchema, required=True)
    deadline = Instant(metadata={"description": "the hotline's own time limit"})
    attachments = attachments()

    @validates_schema
    def deadline_ahead(self, data, **kwargs):
        if "deadline" in data and data["deadline"] <= utc_now():
            raise ValidationError("Must be in the future.", "deadline")


class HotlineExtensionSchema(Schema):
    until = Instant(required=True)
    reason = _text(1000, required=True)


# Keys and person tokens (admin)


class KeyRequestSchema(Schema):
    """A new API key: for an integration (hotline, app, civic app) or bound to one person."""

    name = _text(100, required=True)
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
    )
    communities = fields.List(
        fields.String(validate=COMMUNITY_OR_ALL),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'Community ids, or ["*"] for all.'},
    )
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        validate=validate.Length(min=1, max=len(CHANNELS)),
        metadata={
            "description": "the intake channels its reports may claim; default `app`, or "
            "`hotline` for a key bound to a hotline"
        },
    )
    hotline_id = fields.String(
        validate=SLUG,
        metadata={"description": "bind the key to this 12345 hotline: its work orders only"},
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
    channels = fields.List(fields.String())
    hotline_id = fields.String(allow_none=True)
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
        fields.String(validate=COMMUNITY_OR_ALL),
        required=True,
        validate=validate.Length(min=1, max=200),
    )


class PersonTokenSchema(Schema):
    token = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds"})
