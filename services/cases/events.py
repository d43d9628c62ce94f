"""The payloads of the events cases emits and consumes (docs/events.md).

Emitted payloads are validated before they reach the outbox; consumed ones on
receipt (unknown fields ignored: a producer may add some).
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from lianxin.access.keys import KEY_EVENTS
from lianxin.bus.envelope import PayloadSchemas
from services.cases.areas import KINDS
from services.cases.domain import ESCALATION_LEVELS, STATES

WHICH = validate.OneOf(("accept", "resolve"))


class Label(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class Assignee(Schema):
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)


class About(Schema):
    """The block every case event starts with."""

    case_id = fields.String(required=True)
    number = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    category = fields.String(
        required=True, allow_none=True, metadata={"description": "null until triaged"}
    )
    team = fields.String(required=True, allow_none=True)
    priority = fields.String(required=True, allow_none=True)
    channel = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(sorted(STATES)))
    previous_state = fields.String(allow_none=True, required=True)
    case_version = fields.Integer(required=True, strict=True)
    overdue = fields.Boolean(required=True, metadata={"description": "a time limit was breached"})
    place = fields.String(
        required=True, allow_none=True, metadata={"description": "null if no place below the grid"}
    )
    category_label = fields.Nested(
        Label, required=True, allow_none=True, metadata={"description": "null until triaged"}
    )
    assignee = fields.Nested(
        Assignee,
        required=True,
        allow_none=True,
        metadata={"description": "who the case is offered or assigned to now; null if nobody"},
    )


class EventLocation(Schema):
    estate = fields.String(allow_none=True)
    building = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class HotlineRef(Schema):
    hotline_id = fields.String(required=True)
    order_no = fields.String(required=True)
    deadline = fields.AwareDateTime(allow_none=True)


class Contact(Schema):
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    consent = fields.Boolean(required=True)


class TriageInfo(Schema):
    reporter = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    staff = fields.String(allow_none=True)


class Target(Schema):
    person_id = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class CaseReported(About):
    reported_at = fields.AwareDateTime(required=True)
    location = fields.Nested(EventLocation, required=True)
    description = fields.String(required=True)
    hotline = fields.Nested(HotlineRef, allow_none=True, required=True)
    contact = fields.Nested(Contact, allow_none=True, required=True)


class CaseTriaged(About):
    location = fields.Nested(EventLocation, required=True)
    # About's, narrowed: a triaged (or dispatched) case has both, never null
    place = fields.String(required=True)
    category_label = fields.Nested(Label, required=True)
    description = fields.String(required=True)
    accept_by = fields.AwareDateTime(required=True)
    resolve_by = fields.AwareDateTime(required=True)
    triage = fields.Nested(TriageInfo, required=True)


class CaseTriageNeeded(About):
    description = fields.String(required=True)
    reason = fields.String(required=True)


class CaseEmergency(About):
    kind = fields.String(required=True)
    call = fields.String(required=True)


class CaseDispatched(About):
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    offer_expires_at = fields.AwareDateTime(allow_none=True)
    accept_by = fields.AwareDateTime(allow_none=True)
    resolve_by = fields.AwareDateTime(allow_none=True)
    attempt = fields.Integer(required=True)
    place = fields.String(required=True)  # About's, narrowed as in CaseTriaged
    category_label = fields.Nested(Label, required=True)
    description = fields.String(required=True)


class CaseAssigned(About):
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    by = fields.String(required=True)


class CaseAccepted(About):
    person_id = fields.String(required=True)
    offer_id = fields.String(allow_none=True)
    reported_at = fields.AwareDateTime(required=True)
    accepted_at = fields.AwareDateTime(required=True)


class CaseDeclined(About):
    person_id = fields.String(required=True)
    offer_id = fields.String(allow_none=True)
    reason = fields.String(required=True)


class CaseEscalated(About):
    level = fields.String(required=True, validate=validate.OneOf(ESCALATION_LEVELS))
    step = fields.Integer(allow_none=True)
    reason = fields.String(required=True)
    target = fields.Nested(Target, required=True)


class CaseWarning(About):
    which = fields.String(required=True, validate=WHICH)
    due_at = fields.AwareDateTime(required=True)
    share = fields.Float(required=True)


class CaseOverdue(About):
    which = fields.String(required=True, validate=WHICH)
    due_at = fields.AwareDateTime(required=True)


class CaseSuspension(About):
    reason = fields.String(required=True)


class CaseExtensionRequested(About):
    until = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    by = fields.String(required=True)


class CaseExtensionDecided(About):
    approved = fields.Boolean(required=True)
    until = fields.AwareDateTime(required=True)
    by = fields.String(required=True)


class CaseResolved(About):
    person_id = fields.String(required=True)
    resolution = fields.String(required=True)
    reported_at = fields.AwareDateTime(required=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(required=True)
    on_time = fields.Boolean(required=True)
    first_time = fields.Boolean(required=True)


class CaseClosed(About):
    closed_at = fields.AwareDateTime(required=True)
    verified_by = fields.String(required=True)
    reported_at = fields.AwareDateTime(required=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    on_time = fields.Boolean(required=True)


class CaseRated(About):
    rating = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    satisfied = fields.Boolean(required=True)
    comment = fields.String(required=True)


class CaseReopened(About):
    reason = fields.String(required=True)
    reopen_count = fields.Integer(required=True)
    by = fields.String(required=True)
    person_id = fields.String(allow_none=True)
    accept_by = fields.AwareDateTime(required=True)
    resolve_by = fields.AwareDateTime(required=True)


class CaseRejected(About):
    reason = fields.String(required=True)
    returned_to = fields.String(required=True, validate=validate.OneOf(("hotline", "reporter")))


class CaseMerged(About):
    into_case_id = fields.String(required=True)
    into_number = fields.String(required=True)


class CaseWithdrawn(About):
    by = fields.String(required=True)


class HotlineReply(Schema):
    """What the hotline must receive; notify calls its callback, signed."""

    hotline_id = fields.String(required=True)
    order_no = fields.String(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(("closed", "returned", "extension_requested"))
    )
    result = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    until = fields.AwareDateTime(allow_none=True)
    case_id = fields.String(required=True)
    number = fields.String(required=True)
    community_id = fields.String(required=True)


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


class OfferMade(_Tolerant):
    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True)
    attempt = fields.Integer(load_default=None, allow_none=True)


class OfferExpired(_Tolerant):
    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = fields.String(required=True)
    attempt = fields.Integer(load_default=None, allow_none=True)


class EscalationRequired(_Tolerant):
    case_id = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(ESCALATION_LEVELS))
    step = fields.Integer(load_default=None, allow_none=True)
    reason = fields.String(required=True)
    target = fields.Dict(load_default=dict, allow_none=True)


class PointSchema(_Tolerant):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))


class AreaNodeSchema(_Tolerant):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    parent = fields.String(load_default=None, allow_none=True)
    community_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "None for a subdistrict, which belongs to no community"},
    )
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    households = fields.Integer(load_default=None, allow_none=True)
    polygon = fields.List(
        fields.Nested(PointSchema),
        load_default=None,
        allow_none=True,
        metadata={"description": "a grid's outline"},
    )
    timezone = fields.String(load_default=None, allow_none=True)


class AreaChanged(_Tolerant):
    node = fields.Nested(AreaNodeSchema, required=True)
    removed = fields.Boolean(load_default=False)
    area_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


EVENTS = PayloadSchemas(
    {
        **KEY_EVENTS.schemas,
        ("case.reported", 1): CaseReported(),
        ("case.triaged", 1): CaseTriaged(),
        ("case.triage_needed", 1): CaseTriageNeeded(),
        ("case.emergency", 1): CaseEmergency(),
        ("case.dispatched", 1): CaseDispatched(),
        ("case.assigned", 1): CaseAssigned(),
        ("case.accepted", 1): CaseAccepted(),
        ("case.declined", 1): CaseDeclined(),
        ("case.escalated", 1): CaseEscalated(),
        ("case.warning", 1): CaseWarning(),
        ("case.overdue", 1): CaseOverdue(),
        ("case.suspended", 1): CaseSuspension(),
        ("case.resumed", 1): CaseSuspension(),
        ("case.extension_requested", 1): CaseExtensionRequested(),
        ("case.extension_decided", 1): CaseExtensionDecided(),
        ("case.resolved", 1): CaseResolved(),
        ("case.closed", 1): CaseClosed(),
        ("case.rated", 1): CaseRated(),
        ("case.reopened", 1): CaseReopened(),
        ("case.rejected", 1): CaseRejected(),
        ("case.merged", 1): CaseMerged(),
        ("case.withdrawn", 1): CaseWithdrawn(),
        ("hotline.reply", 1): HotlineReply(),
        ("offer.made", 1): OfferMade(),
        ("offer.expired", 1): OfferExpired(),
        ("escalation.required", 1): EscalationRequired(),
        ("area.changed", 1): AreaChanged(),
    }
)
