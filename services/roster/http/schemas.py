"""Request and response schemas of the roster HTTP API (the OpenAPI document is built
from these, and requests are validated with them). Event payloads: events.py, from the
shared contracts."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lianxin.access.actors import ROLES
from lianxin.contracts.roster import AREA_KINDS
from services.roster.domain.policy import SLUG
from services.roster.domain.rows import ROTA_ID

ID = validate.Length(min=1, max=100)
HOURS = validate.Range(min=-24, max=24)


class _Window(Schema):
    @validates_schema
    def ends_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ValidationError("The end comes after the start.", "end")


# -- queries --------------------------------------------------------------------------------


class OnDutyQuery(Schema):
    grid_id = fields.String(required=True, validate=SLUG)
    team = fields.String(required=True, validate=SLUG)
    at = fields.AwareDateTime(metadata={"description": "default: now"})


class AreaQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    kind = fields.String(validate=validate.OneOf(AREA_KINDS))
    after = fields.String(
        validate=SLUG, metadata={"description": "the last code of the previous page"}
    )


class PeopleQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    role = fields.String(validate=validate.OneOf(ROLES))
    grid_id = fields.String(validate=SLUG, metadata={"description": "a home grid"})
    team = fields.String(validate=SLUG)
    q = fields.String(
        validate=validate.Length(max=50), metadata={"description": "in the id or the name"}
    )
    active = fields.Boolean()
    after = fields.String(validate=SLUG, metadata={"description": "the last id of the page before"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class RotaCheckQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    start = fields.AwareDateTime(data_key="from", metadata={"description": "default: now"})
    days = fields.Integer(load_default=7, validate=validate.Range(1, 31))


class RotaWeekQuery(Schema):
    grid_id = fields.String(required=True, validate=SLUG)
    team = fields.String(validate=SLUG, metadata={"description": "default: the grid's first"})
    week = fields.Date(
        metadata={
            "description": "a day of the week to show (Monday to Sunday); "
            "default: today in the community's zone"
        }
    )


class WaitingQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    after = fields.String(
        validate=ID, metadata={"description": "the last entry id of the previous page"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class ExportQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    by = fields.String(
        load_default="entries", validate=validate.OneOf(("entries", "people", "households"))
    )


class HouseholdQuery(Schema):
    community_id = fields.String(
        required=True, validate=SLUG, metadata={"description": "the household's community"}
    )


class FeedQuery(Schema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=500))


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=False)


# -- bodies ---------------------------------------------------------------------------------

IMPORT_FILE_NAME = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$"  # a file's name, no folder


class ImportFileBody(Schema):
    """One import file as it was uploaded: read as the operator's CLI reads a file
    (domain.rows.rows_from_file), then checked as every import is."""

    name = fields.String(
        required=True,
        validate=validate.Regexp(IMPORT_FILE_NAME, error="A file's name: a-z, 0-9, _, - and ."),
        metadata={"description": "areas|people|teams|rotas.csv, or <any>.yaml"},
    )
    text = fields.String(required=True, validate=validate.Length(min=1, max=60_000))


class DutyBody(Schema):
    rota_id = fields.String(required=True, validate=ROTA_ID)
    person_id = fields.String(
        validate=SLUG, metadata={"description": "staff only: someone else; default: who acts"}
    )


class LeaveBody(_Window):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class OverrideBody(_Window):
    kind = fields.String(required=True, validate=validate.OneOf(("cover", "extra")))
    person_id = fields.String(required=True, validate=SLUG)
    replaces = fields.String(validate=SLUG, metadata={"description": "cover: whose duty"})
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def cover_names_whom(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data["kind"] == "cover") != bool(data.get("replaces")):
            raise ValidationError(
                "A cover names whom it replaces; extra duty does not.", "replaces"
            )


class DecisionBody(Schema):
    hours = fields.Float(
        validate=validate.Range(min=0, max=24),
        metadata={
            "description": "approve: the hours granted, in quarter hours; default: as credited"
        },
    )
    note = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def whole_quarters(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "hours" in data and round(data["hours"] * 4) != data["hours"] * 4:
            raise ValidationError("Hours come in quarter hours (0.25).", "hours")


class CorrectionBody(Schema):
    hours = fields.Float(required=True, validate=HOURS)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    case_id = fields.String(validate=validate.Length(max=64))

    @validates_schema
    def whole_quarters(self, data: dict[str, Any], **kwargs: Any) -> None:
        if round(data["hours"] * 4) != data["hours"] * 4 or data["hours"] == 0:
            raise ValidationError("A non-zero number of quarter hours (0.25).", "hours")


class ImportBody(Schema):
    """The sections of an import file, as JSON: the rows are checked by the import
    (every rejected row is listed), not here."""

    areas = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=5000))
    people = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=5000))
    teams = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=1000))
    rotas = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=1000))
    policies = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=100))


# -- responses ------------------------------------------------------------------------------


class Point(Schema):
    lat = fields.Float()
    lon = fields.Float()


class AreaSchema(Schema):
    code = fields.String(attribute="_id")
    kind = fields.String()
    name = fields.String()
    parent = fields.String(allow_none=True)
    community_id = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
    polygon = fields.List(fields.Nested(Point))
    timezone = fields.String(allow_none=True)
    neighbours = fields.List(fields.String())
    leader = fields.String(allow_none=True)
    workers = fields.List(fields.String())
    unit_leader = fields.String(allow_none=True)
    staff = fields.List(fields.String())
    removed = fields.Boolean()
    version = fields.Integer()


class AreaListSchema(Schema):
    areas = fields.List(fields.Nested(AreaSchema))
    next_after = fields.String(allow_none=True)


class ListedPerson(Schema):
    person_id = fields.String(attribute="id")
    display_name = fields.String(metadata={"description": "masked but to admin keys"})
    phone = fields.String(allow_none=True, metadata={"description": "masked but to admin keys"})
    roles = fields.List(fields.String())
    teams = fields.List(fields.String())
    home_grids = fields.List(fields.String())
    active = fields.Boolean()


class PeopleSchema(Schema):
    community_id = fields.String()
    total = fields.Integer(metadata={"description": "how many the filters match"})
    people = fields.List(fields.Nested(ListedPerson))
    next_after = fields.String(allow_none=True)


class ContactSchema(Schema):
    channel = fields.String()
    address = fields.String(metadata={"description": "masked but to admin keys"})


class LeaveSchema(Schema):
    id = fields.String()
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    reason = fields.String()
    by = fields.String()


class PersonSchema(Schema):
    person_id = fields.String(attribute="_id")
    community_id = fields.String()
    display_name = fields.String(metadata={"description": "masked but to admin keys"})
    phone = fields.String(allow_none=True, metadata={"description": "masked but to admin keys"})
    roles = fields.List(fields.String())
    teams = fields.List(fields.String())
    skills = fields.List(fields.String())
    home_grids = fields.List(fields.String())
    max_open_cases = fields.Integer(allow_none=True)
    contacts = fields.List(fields.Nested(ContactSchema))
    quiet_hours = fields.String(allow_none=True)
    household_id = fields.String(allow_none=True)
    active = fields.Boolean()
    leave = fields.List(fields.Nested(LeaveSchema))
    open_cases = fields.List(fields.String())
    version = fields.Integer()


class OnDutyPerson(Schema):
    person_id = fields.String()
    display_name = fields.String(metadata={"description": "masked"})
    rota_id = fields.String()
    open_cases = fields.Integer(metadata={"description": "the cases they hold now"})
    cap = fields.Integer(allow_none=True, metadata={"description": "the most they may hold"})


class OnDutySchema(Schema):
    grid_id = fields.String()
    team = fields.String()
    at = fields.AwareDateTime()
    on_duty = fields.List(fields.Nested(OnDutyPerson))


class OverrideSchema(Schema):
    id = fields.String()
    kind = fields.String()
    person_id = fields.String()
    replaces = fields.String(allow_none=True)
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    note = fields.String()


class DutyAnswer(Schema):
    rota_id = fields.String()
    person_id = fields.String()
    overrides = fields.List(fields.Nested(OverrideSchema))


class GapSchema(Schema):
    grid_id = fields.String()
    team = fields.String()
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    hours = fields.Float()


class LoadSchema(Schema):
    rota_id = fields.String()
    hours = fields.Dict(keys=fields.String(), values=fields.Float())
    uneven = fields.Boolean()


class RotaCheckSchema(Schema):
    community_id = fields.String()
    start = fields.AwareDateTime(data_key="from")
    end = fields.AwareDateTime(data_key="to")
    gaps = fields.List(fields.Nested(GapSchema))
    overlaps = fields.List(
        fields.Nested(GapSchema),
        metadata={"description": "two of a team's rotas on duty at once in a grid"},
    )
    loads = fields.List(fields.Nested(LoadSchema))


class NamedSchema(Schema):
    person_id = fields.String()
    display_name = fields.String(metadata={"description": "masked"})


class WeekRotaSchema(Schema):
    rota_id = fields.String()
    check_in_required = fields.Boolean()
    members = fields.List(fields.Nested(NamedSchema))


class WeekShiftSchema(Schema):
    rota_id = fields.String()
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    scheduled = fields.List(fields.Nested(NamedSchema), metadata={"description": "the crew"})
    on_duty = fields.List(
        fields.Nested(NamedSchema),
        metadata={"description": "on duty in the shift: covers, sign-ins and leave applied"},
    )


class WeekOverrideSchema(OverrideSchema):
    rota_id = fields.String()
    display_name = fields.String(metadata={"description": "masked"})


class WeekLeaveSchema(LeaveSchema):
    rota_id = fields.String()
    person_id = fields.String()
    display_name = fields.String(metadata={"description": "masked"})


class TeamNameSchema(Schema):
    code = fields.String()
    name = fields.String()


class RotaWeekSchema(Schema):
    grid_id = fields.String()
    team = fields.String()
    teams = fields.List(
        fields.Nested(TeamNameSchema), metadata={"description": "the teams serving the grid"}
    )
    community_id = fields.String()
    timezone = fields.String()
    start = fields.AwareDateTime(data_key="from")
    end = fields.AwareDateTime(data_key="to")
    rotas = fields.List(fields.Nested(WeekRotaSchema))
    shifts = fields.List(fields.Nested(WeekShiftSchema))
    gaps = fields.List(fields.Nested(GapSchema), metadata={"description": "as rota-check"})
    overlaps = fields.List(fields.Nested(GapSchema), metadata={"description": "as rota-check"})
    overrides = fields.List(fields.Nested(WeekOverrideSchema))
    leave = fields.List(fields.Nested(WeekLeaveSchema))
    no_shows = fields.List(fields.Nested("NoShowSchema"))


class OfferSchema(Schema):
    offer_id = fields.String(attribute="_id")
    case_id = fields.String()
    person_id = fields.String()
    team = fields.String()
    grid_id = fields.String()
    made_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    attempt = fields.Integer()
    state = fields.String()


class OffersSchema(Schema):
    person_id = fields.String()
    offers = fields.List(fields.Nested(OfferSchema))


class OpenCasesSchema(Schema):
    person_id = fields.String()
    open_cases = fields.List(fields.String())
    cap = fields.Integer()
    open_offers = fields.List(
        fields.String(), metadata={"description": "offers not yet answered nor lapsed"}
    )
    offer_cap = fields.Integer(metadata={"description": "open offers allowed, by role"})


class EntrySchema(Schema):
    entry_id = fields.String(attribute="id")
    kind = fields.String()
    state = fields.String()
    person_id = fields.String()
    case_id = fields.String(allow_none=True)
    household_id = fields.String(allow_none=True)
    minutes = fields.Integer()
    hours = fields.Float()
    at = fields.AwareDateTime()
    refers_to = fields.String(allow_none=True)
    rule = fields.String()
    note = fields.String()
    by = fields.String()


class WaitingEntrySchema(EntrySchema):
    display_name = fields.String(metadata={"description": "masked"})


class WaitingSchema(Schema):
    community_id = fields.String()
    waiting = fields.Integer(metadata={"description": "credits waiting in the community"})
    entries = fields.List(fields.Nested(WaitingEntrySchema))
    next_after = fields.String(allow_none=True)


class LedgerSchema(Schema):
    person_id = fields.String()
    community_id = fields.String(metadata={"description": "a household's community"})
    household_id = fields.String()
    total = fields.Float(metadata={"description": "approved hours: the balance"})
    balance_minutes = fields.Integer()
    pending_minutes = fields.Integer(metadata={"description": "credits waiting for staff"})
    entries = fields.List(fields.Nested(EntrySchema))


class DispatchOfferSchema(Schema):
    id = fields.String()
    person_id = fields.String()
    display_name = fields.String()
    team = fields.String()
    grid_id = fields.String()
    made_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    attempt = fields.Integer()


class DispatchSchema(Schema):
    case_id = fields.String()
    community_id = fields.String()
    grid_id = fields.String()
    category = fields.String()
    state = fields.String()
    round = fields.Integer()
    attempt = fields.Integer()
    offer = fields.Nested(DispatchOfferSchema, allow_none=True)
    passed = fields.List(fields.String())
    escalation_step = fields.Integer()
    holder = fields.String(allow_none=True)
    awaits_shift = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "a desk's case nobody is on duty for: offered at this time"},
    )


class NoShowSchema(Schema):
    rota_id = fields.String()
    person_id = fields.String()
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()


class NoShowsSchema(Schema):
    person_id = fields.String()
    no_shows = fields.List(fields.Nested(NoShowSchema))


class FeedSchema(Schema):
    url = fields.String(metadata={"description": "an iCalendar feed of the person's duty"})


class RejectedSchema(Schema):
    source = fields.String()
    kind = fields.String()
    key = fields.String()
    reasons = fields.List(fields.String())


class MovedSchema(Schema):
    kind = fields.String()
    key = fields.String()
    from_ = fields.String(data_key="from", allow_none=True)
    to = fields.String(allow_none=True)


class ImportResultSchema(Schema):
    dry_run = fields.Boolean()
    applied = fields.Boolean()
    accepted = fields.Dict(keys=fields.String(), values=fields.Integer())
    changed = fields.Dict(keys=fields.String(), values=fields.Integer())
    rejected = fields.List(fields.Nested(RejectedSchema))
    moved = fields.List(
        fields.Nested(MovedSchema),
        metadata={"description": "stored records taken from one community into another"},
    )


class ImportErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    rejected = fields.List(fields.Nested(RejectedSchema), required=True)


class ImportRejectedSchema(Schema):
    """422: rows were rejected, and nothing was imported."""

    error = fields.Nested(ImportErrorDetail, required=True)
