"""Event payload schemas of the roster service (docs/events.md): what it reads from
cases, and what it emits."""

from marshmallow import EXCLUDE, Schema, fields, validate

from lianxin.bus.envelope import PayloadSchemas
from services.roster.areas import KINDS
from services.roster.domain import LEVELS
from services.roster.ledger import KINDS as ENTRY_KINDS
from services.roster.ledger import STATES as ENTRY_STATES


class _Tolerant(Schema):
    """A reader of another service's events: fields it does not use are ignored."""

    class Meta:
        unknown = EXCLUDE


class _About(_Tolerant):
    case_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    category = fields.String(required=True)
    team = fields.String(required=True)
    priority = fields.String(required=True)
    case_version = fields.Integer(load_default=None, allow_none=True)  # orders a case's events


class CaseTriaged(_About):
    accept_by = fields.AwareDateTime(load_default=None, allow_none=True)


class CaseDeclined(_About):
    person_id = fields.String(required=True)
    offer_id = fields.String(load_default=None, allow_none=True)
    reason = fields.String(load_default="", allow_none=True)


class CaseAccepted(_About):
    person_id = fields.String(required=True)


class CaseAssigned(_About):
    person_id = fields.String(required=True)


class CaseResolved(_About):
    person_id = fields.String(required=True)
    accepted_at = fields.AwareDateTime(load_default=None, allow_none=True)
    resolved_at = fields.AwareDateTime(load_default=None, allow_none=True)


class CaseReopened(_About):
    reason = fields.String(load_default="", allow_none=True)
    reopen_count = fields.Integer(required=True)  # the k-th reopening undoes the k-th resolution


class CaseEnded(_About):
    """case.closed, case.withdrawn, case.rejected (returned, 退单) and case.merged: nothing
    more to offer or escalate, nobody holds it."""


CONSUMED = {
    "case.triaged": CaseTriaged,
    "case.declined": CaseDeclined,
    "case.accepted": CaseAccepted,
    "case.assigned": CaseAssigned,
    "case.resolved": CaseResolved,
    "case.reopened": CaseReopened,
    "case.withdrawn": CaseEnded,
    "case.closed": CaseEnded,
    "case.rejected": CaseEnded,
    "case.merged": CaseEnded,
}


class OfferMade(Schema):
    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    team = fields.String(required=True)
    grid_id = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    attempt = fields.Integer(required=True)


class OfferExpired(Schema):
    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    attempt = fields.Integer(required=True)


class Target(Schema):
    person_id = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class EscalationRequired(Schema):
    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    step = fields.Integer(required=True)
    reason = fields.String(required=True)
    target = fields.Nested(Target, required=True)


class PointSchema(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class AreaNodeSchema(Schema):
    code = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    parent = fields.String(allow_none=True)
    community_id = fields.String(allow_none=True)
    name = fields.String(required=True)
    households = fields.Integer(allow_none=True)
    polygon = fields.List(fields.Nested(PointSchema))
    timezone = fields.String(allow_none=True)


class AreaChanged(Schema):
    node = fields.Nested(AreaNodeSchema, required=True)
    removed = fields.Boolean(required=True)
    area_version = fields.Integer(required=True)


class Contact(Schema):
    channel = fields.String(required=True)
    address = fields.String(required=True)


class PersonChanged(Schema):
    person_id = fields.String(required=True)
    community_id = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    teams = fields.List(fields.String(), required=True)
    home_grids = fields.List(fields.String(), required=True)
    contacts = fields.List(fields.Nested(Contact), required=True)
    quiet_hours = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    # when the person's access last changed (first import, community, roles, active): a
    # person token, signed link or session issued before it is void
    access_since = fields.AwareDateTime(required=True)
    person_version = fields.Integer(required=True)


class HoursCredited(Schema):
    entry_id = fields.String(required=True)
    person_id = fields.String(required=True)
    case_id = fields.String(allow_none=True)
    community_id = fields.String(required=True)
    household_id = fields.String(allow_none=True)
    hours = fields.Float(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ENTRY_KINDS))
    state = fields.String(required=True, validate=validate.OneOf(ENTRY_STATES))


class ShiftStarting(Schema):
    person_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    team = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class DutyChanged(Schema):
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    team = fields.String(required=True)
    on_duty = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)


EVENTS = PayloadSchemas(
    {
        **{(event_type, 1): schema() for event_type, schema in CONSUMED.items()},
        ("offer.made", 1): OfferMade(),
        ("offer.expired", 1): OfferExpired(),
        ("escalation.required", 1): EscalationRequired(),
        ("area.changed", 1): AreaChanged(),
        ("person.changed", 1): PersonChanged(),
        ("hours.credited", 1): HoursCredited(),
        ("shift.starting", 1): ShiftStarting(),
        ("duty.changed", 1): DutyChanged(),
    }
)
