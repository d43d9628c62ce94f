"""The events roster publishes on `roster.events` (docs/events.md, "roster emits").

Read by cases (the dispatch's offers, expiries and escalations; the areas), notify (the
people's addresses, place names, shift reminders), metrics (hours, duty, expiries,
areas) and every service's access replica (`person.changed`).

The words these events carry are declared here, once: the kinds of area, the levels of
the escalation chain and the kinds and states of an hours entry. The services that use
them import them from here.
"""

from __future__ import annotations

from marshmallow import fields, validate

from lianxin.contracts.contract import Contract, Payload

AREA_KINDS = ("subdistrict", "community", "grid", "estate", "building", "unit")  # top down
ESCALATION_LEVELS = ("grid_leader", "community_staff", "department")  # the chain, in order
HOURS_KINDS = ("credit", "reversal", "correction")
HOURS_STATES = ("approved", "pending_approval")
# the kinds of volunteer activity staff publish: clean-up drive (清洁家园), patrol (巡逻),
# visit day (走访日); the console names each in labels.yaml
ACTIVITY_KINDS = ("cleanup", "patrol", "visit_day")
# care rounds (邻里守望): who is looked after, how, how often, by whom, and how a round went
CARE_NEEDS = ("elderly_alone", "disability", "left_behind_child")
CARE_ROUND_KINDS = ("call", "visit")
CARE_CADENCES = ("weekly", "monthly")
CARER_ROLES = ("volunteer", "unit_leader")
CARE_OUTCOMES = ("well", "needs_help")
CARE_STAGES = ("carer", "grid_worker")  # whom a missed care round is told to, in turn

ID = validate.Length(min=1, max=64)  # area codes, person ids, team ids: bounded everywhere
QUIET_HOURS = validate.Regexp(r"^\d{2}:\d{2}-\d{2}:\d{2}$")  # `22:30-06:30`, local time


class OfferMade(Payload):
    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    team = fields.String(required=True)
    grid_id = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    attempt = fields.Integer(required=True)


class OfferExpired(Payload):
    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    attempt = fields.Integer(required=True)
    # Not sent yet: metrics counts an expiry only where they are (docs/events.md).
    community_id = fields.String(validate=ID)
    grid_id = fields.String(validate=ID)
    team = fields.String(validate=ID)


class Target(Payload):
    person_id = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class EscalationRequired(Payload):
    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(ESCALATION_LEVELS))
    step = fields.Integer(required=True)
    reason = fields.String(required=True)
    target = fields.Nested(Target, required=True)


class Point(Payload):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))


class AreaNode(Payload):
    code = fields.String(required=True, validate=ID)
    kind = fields.String(required=True, validate=validate.OneOf(AREA_KINDS))
    parent = fields.String(allow_none=True)
    community_id = fields.String(
        allow_none=True, validate=ID, metadata={"description": "null for a subdistrict"}
    )
    name = fields.String(required=True, validate=validate.Length(max=100))
    households = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0))
    polygon = fields.List(
        fields.Nested(Point), required=True, metadata={"description": "a grid's outline"}
    )
    timezone = fields.String(allow_none=True, validate=validate.Length(max=64))
    # a unit's leader (单元长): the estate's pact lets them record for their units only
    unit_leader = fields.String(allow_none=True, validate=ID)


class AreaChanged(Payload):
    node = fields.Nested(AreaNode, required=True)
    removed = fields.Boolean(required=True)
    area_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class Contact(Payload):
    channel = fields.String(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PersonChanged(Payload):
    person_id = fields.String(required=True, validate=ID)
    community_id = fields.String(required=True, validate=ID)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    teams = fields.List(fields.String(), required=True)
    home_grids = fields.List(fields.String(), required=True)
    contacts = fields.List(fields.Nested(Contact), required=True)  # in preference order
    quiet_hours = fields.String(allow_none=True, validate=QUIET_HOURS)
    # the unit (单元) the person lives in, when roster knows it: a notice to an area reaches
    # the people living there by SMS (notify). Not sent before 2026-12.
    unit_id = fields.String(allow_none=True, validate=ID)
    active = fields.Boolean(required=True)
    # when the person's access last changed (first import, community, roles, active): a
    # person token, signed link or session issued before it is void
    access_since = fields.AwareDateTime(required=True)
    person_version = fields.Integer(required=True)


class HoursCredited(Payload):
    entry_id = fields.String(required=True)
    person_id = fields.String(required=True, validate=ID)
    case_id = fields.String(allow_none=True)
    community_id = fields.String(required=True, validate=ID)
    household_id = fields.String(allow_none=True)
    hours = fields.Float(required=True, allow_nan=False, validate=validate.Range(-1000, 1000))
    kind = fields.String(required=True, validate=validate.OneOf(HOURS_KINDS))
    state = fields.String(required=True, validate=validate.OneOf(HOURS_STATES))
    # the line a reversal or a staff decision refers to (estate counts it where that falls)
    refers_to = fields.String(allow_none=True)


class ShiftStarting(Payload):
    person_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    team = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class DutyChanged(Payload):
    community_id = fields.String(required=True, validate=ID)
    grid_id = fields.String(required=True, validate=ID)
    team = fields.String(required=True, validate=ID)
    on_duty = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    at = fields.AwareDateTime(required=True)


class ActivityPublished(Payload):
    activity_id = fields.String(required=True, validate=ID)
    community_id = fields.String(required=True, validate=ID)
    kind = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class ActivityAttended(Payload):
    """A volunteer checked in while the activity ran; its credit is the ledger line
    `entry_id` (told by its own hours.credited)."""

    activity_id = fields.String(required=True, validate=ID)
    community_id = fields.String(required=True, validate=ID)
    person_id = fields.String(required=True, validate=ID)
    kind = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    entry_id = fields.String(required=True)
    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    checked_in_at = fields.AwareDateTime(required=True)


class CareRoundTicked(Payload):
    """A care round ticked off by its carer; no name or number of the person cared for."""

    plan_id = fields.String(required=True, validate=ID)
    round_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    community_id = fields.String(required=True, validate=ID)
    grid_id = fields.String(required=True, validate=ID)
    carer_id = fields.String(required=True, validate=ID)
    outcome = fields.String(required=True, validate=validate.OneOf(CARE_OUTCOMES))
    due_at = fields.AwareDateTime(required=True)
    ticked_at = fields.AwareDateTime(required=True)
    case_id = fields.String(allow_none=True)


class CareRoundMissed(Payload):
    """A care round still not ticked: the carer is reminded (`carer`), then the grid's
    worker told (`grid_worker`); `person_id` is whom to tell, null when the grid has no
    worker."""

    plan_id = fields.String(required=True, validate=ID)
    round_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    community_id = fields.String(required=True, validate=ID)
    grid_id = fields.String(required=True, validate=ID)
    carer_id = fields.String(required=True, validate=ID)
    kind = fields.String(required=True, validate=validate.OneOf(CARE_ROUND_KINDS))
    due_at = fields.AwareDateTime(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(CARE_STAGES))
    person_id = fields.String(required=True, allow_none=True, validate=ID)


ROSTER = Contract(
    "roster",
    {
        ("offer.made", 1): OfferMade(),
        ("offer.expired", 1): OfferExpired(),
        ("escalation.required", 1): EscalationRequired(),
        ("area.changed", 1): AreaChanged(),
        ("person.changed", 1): PersonChanged(),
        ("hours.credited", 1): HoursCredited(),
        ("shift.starting", 1): ShiftStarting(),
        ("duty.changed", 1): DutyChanged(),
        ("activity.published", 1): ActivityPublished(),
        ("activity.attended", 1): ActivityAttended(),
        ("care.round_ticked", 1): CareRoundTicked(),
        ("care.round_missed", 1): CareRoundMissed(),
    },
)
