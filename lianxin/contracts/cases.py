"""The events cases publishes on `cases.events` (docs/events.md, "cases emits").

Every case event starts with the case's `about` block (About) and adds its own fields;
`hotline.reply` is what notify calls the hotline back with; `apikey.changed` is a key's
whole state, for every other service's key replica (lianxin.access.replicas): cases
owns the keys, so its exchange carries them.

The case states are the lifecycle's (services/cases/domain/case.py, whose table may reach no
other: a contract test holds the two together).
"""

from __future__ import annotations

from marshmallow import fields, validate

from lianxin.access.actors import CHANNELS, ROLES, SCOPES
from lianxin.contracts.contract import Contract, Payload
from lianxin.contracts.roster import ESCALATION_LEVELS

CASE_STATES = (
    "reported",
    "triaged",
    "dispatched",
    "accepted",
    "declined",
    "escalated",
    "resolved",
    "closed",
    "rated",
    "reopened",
    "rejected",
    "merged",
    "withdrawn",
)
ID = validate.Length(min=1, max=64)  # case, community, grid, team and person ids
STATE = validate.OneOf(CASE_STATES)
WHICH = validate.OneOf(("accept", "resolve"))


class Label(Payload):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class Assignee(Payload):
    person_id = fields.String(required=True)
    display_name = fields.String(required=True)


class About(Payload):
    """The block every case event starts with."""

    case_id = fields.String(required=True, validate=ID)
    number = fields.String(required=True)
    community_id = fields.String(required=True, validate=ID)
    grid_id = fields.String(required=True, validate=ID)
    category = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "null until triaged"},
    )
    team = fields.String(required=True, allow_none=True, validate=ID)
    priority = fields.String(required=True, allow_none=True)
    channel = fields.String(required=True, validate=ID)
    state = fields.String(required=True, validate=STATE)
    previous_state = fields.String(allow_none=True, required=True, validate=STATE)
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
    private = fields.Boolean(
        load_default=False,
        metadata={
            "description": "its category is private (disputes, care): its details go to the "
            "assignee and staff only, never to a group chat or the public"
        },
    )


class EventLocation(Payload):
    estate_code = fields.String(
        allow_none=True,
        metadata={"description": "the registry's code of the estate the place is in, if any"},
    )
    estate = fields.String(allow_none=True)
    building = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class HotlineRef(Payload):
    hotline_id = fields.String(required=True)
    order_no = fields.String(required=True)
    deadline = fields.AwareDateTime(allow_none=True)


class Contact(Payload):
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    consent = fields.Boolean(required=True)


class TriageInfo(Payload):
    reporter = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    staff = fields.String(allow_none=True)


class Target(Payload):
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
    property_complaint = fields.Boolean(
        load_default=False,
        metadata={
            "description": "its category is a complaint about the estate's property company "
            "(the taxonomy's `property_complaint`): the estate service counts it against "
            "the company of the estate named in `location.estate`"
        },
    )
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
    person_id = fields.String(required=True, validate=ID)
    display_name = fields.String(required=True)
    offer_expires_at = fields.AwareDateTime(allow_none=True)
    accept_by = fields.AwareDateTime(allow_none=True)
    resolve_by = fields.AwareDateTime(allow_none=True)
    attempt = fields.Integer(required=True)
    place = fields.String(required=True)  # About's, narrowed as in CaseTriaged
    category_label = fields.Nested(Label, required=True)
    description = fields.String(required=True)


class CaseAssigned(About):
    person_id = fields.String(required=True, validate=ID)
    display_name = fields.String(required=True)
    by = fields.String(required=True)


class CaseAccepted(About):
    person_id = fields.String(required=True, validate=ID)
    offer_id = fields.String(allow_none=True)
    reported_at = fields.AwareDateTime(required=True)
    accepted_at = fields.AwareDateTime(required=True)


class CaseDeclined(About):
    person_id = fields.String(required=True, validate=ID)
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
    which = fields.String(
        required=True,
        validate=validate.OneOf(("accept", "resolve", "follow_up")),
        metadata={"description": "a time limit, or an agreement's follow-up visit not made"},
    )
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
    person_id = fields.String(required=True, validate=ID)
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
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    satisfied = fields.Boolean(required=True)
    comment = fields.String(required=True)


class CaseReopened(About):
    reason = fields.String(required=True)
    reopen_count = fields.Integer(required=True)
    by = fields.String(required=True)
    person_id = fields.String(allow_none=True, validate=ID)
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


class CaseAppointmentSet(About):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    venue = fields.String(required=True, metadata={"description": "where the parties come, masked"})
    by = fields.String(required=True)
    previous_starts_at = fields.AwareDateTime(
        required=True, allow_none=True, metadata={"description": "the one it moves, if any"}
    )


class CaseMediationSession(About):
    """A session held at the desk: how many came, never who nor what was said."""

    session = fields.String(required=True, metadata={"description": "S1, S2, ... on the case"})
    held_at = fields.AwareDateTime(required=True)
    parties_present = fields.Integer(required=True, strict=True)
    mediators_present = fields.Integer(required=True, strict=True)
    by = fields.String(required=True)


class CaseMediationOutcome(About):
    result = fields.String(required=True, validate=validate.OneOf(("agreement", "referral")))
    signatories = fields.Integer(required=True, metadata={"description": "who signed: how many"})
    follow_up_due = fields.AwareDateTime(
        required=True, allow_none=True, metadata={"description": "an agreement's follow-up visit"}
    )
    referred_to = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(("peoples_mediation", "court", "department")),
    )
    by = fields.String(required=True)


class CaseMediationFollowedUp(About):
    result = fields.String(required=True, validate=validate.OneOf(("agreement", "referral")))
    on_time = fields.Boolean(
        required=True, metadata={"description": "an agreement's visit by its due day"}
    )
    by = fields.String(required=True)


class HotlineReply(Payload):
    """What the hotline must receive; notify calls its callback, signed."""

    hotline_id = fields.String(required=True, validate=ID)
    order_no = fields.String(required=True, validate=ID)
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


class KeyChanged(Payload):
    """A key's whole state, never its secret (only the secret's hash)."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    secret_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True)
    communities = fields.List(fields.String(validate=ID), required=True)
    person_id = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, allow_none=True, validate=validate.OneOf(ROLES))
    created_at = fields.AwareDateTime(required=True, allow_none=True)
    revoked_at = fields.AwareDateTime(required=True, allow_none=True)
    version = fields.Integer(required=True, strict=True)
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True)
    hotline_id = fields.String(required=True, allow_none=True)


CASES = Contract(
    "cases",
    {
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
        ("case.appointment_set", 1): CaseAppointmentSet(),
        ("case.mediation_session", 1): CaseMediationSession(),
        ("case.mediation_outcome", 1): CaseMediationOutcome(),
        ("case.mediation_followed_up", 1): CaseMediationFollowedUp(),
        ("hotline.reply", 1): HotlineReply(),
        ("apikey.changed", 1): KeyChanged(),
    },
)
