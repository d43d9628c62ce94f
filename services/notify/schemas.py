"""Event payload, request and response schemas of the notify service.

Consumed events are read tolerantly (docs/events.md): unknown fields are ignored,
and only what notify cannot work without is required.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from lianxin.bus.envelope import PayloadSchemas

SLUG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


class Label(_Tolerant):
    zh = fields.String(load_default="")
    en = fields.String(load_default="")


class Contact(_Tolerant):
    phone = fields.String(allow_none=True, load_default=None)
    email = fields.String(allow_none=True, load_default=None)
    consent = fields.Boolean(load_default=False)


class Target(_Tolerant):
    person_id = fields.String(allow_none=True, load_default=None)
    display_name = fields.String(allow_none=True, load_default=None)
    department = fields.String(allow_none=True, load_default=None)


def _text():
    return fields.String(allow_none=True, load_default=None)


def _instant():
    return fields.AwareDateTime(allow_none=True, load_default=None)


class CaseEvent(_Tolerant):
    """Any case event notify reads: the `about` block and what its messages show."""

    case_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    community_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    grid_id = fields.String(load_default="")
    # null until triage (case.reported, case.triage_needed): read as not known yet
    category = fields.String(allow_none=True, load_default="")
    team = fields.String(allow_none=True, load_default="")
    priority = fields.String(allow_none=True, load_default="normal")
    number = _text()
    state = _text()
    case_version = fields.Integer(allow_none=True, load_default=None)
    category_label = fields.Nested(Label, allow_none=True, load_default=None)
    place = _text()
    location = fields.Dict(allow_none=True, load_default=None)
    description = _text()
    contact = fields.Nested(Contact, allow_none=True, load_default=None)
    person_id = _text()
    display_name = _text()
    offer_id = _text()
    accept_by = _instant()
    resolve_by = _instant()
    offer_expires_at = _instant()
    level = _text()
    reason = _text()
    target = fields.Nested(Target, allow_none=True, load_default=None)
    # who has the case now (cases tells it in every event; absent in older events)
    assignee = fields.Nested(Target, allow_none=True)
    kind = _text()
    call = _text()
    which = _text()
    due_at = _instant()
    until = _instant()
    approved = fields.Boolean(allow_none=True, load_default=None)
    returned_to = _text()  # case.rejected: hotline or reporter
    into_case_id = _text()  # case.merged: the case it joined
    into_number = _text()

    @post_load
    def not_triaged_yet(self, data: dict, **kwargs) -> dict:
        for name, unknown in (("category", ""), ("team", ""), ("priority", "normal")):
            if data.get(name) is None:
                data[name] = unknown
        return data


class HotlineReply(_Tolerant):
    case_id = fields.String(load_default=None, allow_none=True)
    community_id = fields.String(load_default="")
    hotline_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    order_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(
        required=True, validate=validate.OneOf(["closed", "returned", "extension_requested"])
    )
    number = _text()
    result = _text()
    rating = fields.Integer(allow_none=True, load_default=None)
    reason = _text()
    until = _instant()


class PersonContact(_Tolerant):
    channel = fields.String(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PersonChanged(_Tolerant):
    person_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    community_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    display_name = fields.String(load_default="")
    roles = fields.List(fields.String(), load_default=list)
    teams = fields.List(fields.String(), load_default=list)
    home_grids = fields.List(fields.String(), load_default=list)
    contacts = fields.List(fields.Nested(PersonContact), load_default=list)
    quiet_hours = fields.String(  # `22:30-06:30` in the community's time
        allow_none=True, load_default=None, validate=validate.Regexp(r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    )
    active = fields.Boolean(load_default=True)
    person_version = fields.Integer(required=True)


class AreaNode(_Tolerant):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(load_default="")
    parent = _text()
    community_id = _text()
    name = fields.String(load_default="")
    timezone = _text()


class AreaChanged(_Tolerant):
    node = fields.Nested(AreaNode, required=True)
    removed = fields.Boolean(load_default=False)
    area_version = fields.Integer(required=True)


class ShiftStarting(_Tolerant):
    person_id = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(load_default="")
    team = fields.String(load_default="")
    starts_at = fields.AwareDateTime(required=True)
    ends_at = _instant()


class NotificationOutcome(Schema):
    delivery_id = fields.String(required=True)
    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    category = fields.String(required=True)
    kind = fields.String(required=True)
    channel = fields.String(required=True)
    attempts = fields.Integer(required=True)
    error = fields.String(load_default="")


# The case events notify is bound to and reads (docs/events.md names notify for each):
# the others (triaged, declined, suspended, resumed, rated, reopened, withdrawn) never
# reach it. One list, so no event is bound and then dropped unread.
CASE_EVENTS = (
    "case.reported",
    "case.triage_needed",
    "case.emergency",
    "case.dispatched",
    "case.assigned",
    "case.accepted",
    "case.escalated",
    "case.warning",
    "case.overdue",
    "case.extension_requested",
    "case.extension_decided",
    "case.resolved",
    "case.closed",
    "case.rejected",
    "case.merged",
)
OUTCOMES = ("notification.delivered", "notification.failed", "notification.dead")

EVENTS = PayloadSchemas(
    {
        **{(event_type, 1): CaseEvent() for event_type in CASE_EVENTS},
        ("hotline.reply", 1): HotlineReply(),
        ("person.changed", 1): PersonChanged(),
        ("area.changed", 1): AreaChanged(),
        ("shift.starting", 1): ShiftStarting(),
        **{(event_type, 1): NotificationOutcome() for event_type in OUTCOMES},
    }
)


# HTTP


class RecipientSchema(Schema):
    kind = fields.String()
    id = fields.String()
    name = fields.String()


class AttemptSchema(Schema):
    at = fields.AwareDateTime()
    ok = fields.Boolean()
    error = fields.String()


class DeliverySchema(Schema):
    """A delivery as the API shows it: addresses masked, errors without secrets."""

    id = fields.String()
    kind = fields.String()
    case_id = fields.String(allow_none=True)
    community_id = fields.String()
    category = fields.String()
    recipient = fields.Nested(RecipientSchema)
    channel = fields.String()
    address = fields.String(metadata={"description": "masked; URLs without their query"})
    state = fields.String(metadata={"enum": ["pending", "failed", "sent", "dead", "bundled"]})
    urgent = fields.Boolean()
    subject = fields.String()
    attempts = fields.Integer()
    last_error = fields.String()
    provider_response = fields.String()
    history = fields.List(fields.Nested(AttemptSchema))
    next_channels = fields.List(fields.String())
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    dead_at = fields.AwareDateTime(allow_none=True)
    bundled_into = fields.String(allow_none=True)


class DeliveryListSchema(Schema):
    count = fields.Integer(metadata={"description": "how many match (the list holds at most 200)"})
    deliveries = fields.List(fields.Nested(DeliverySchema))


class DeadQuery(Schema):
    community_id = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CaseDeliveriesQuery(Schema):
    case_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class Alert(_Tolerant):
    status = fields.String(required=True, validate=validate.OneOf(["firing", "resolved"]))
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    annotations = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    startsAt = fields.String(load_default="")  # noqa: N815 (Alertmanager's names)
    endsAt = fields.String(load_default="")  # noqa: N815
    generatorURL = fields.String(load_default="")  # noqa: N815
    fingerprint = fields.String(load_default="", validate=validate.Length(max=64))


class AlertmanagerWebhook(_Tolerant):
    """Alertmanager's webhook payload (version 4)."""

    version = fields.String(load_default="4")
    status = fields.String(load_default="firing")
    receiver = fields.String(load_default="")
    groupKey = fields.String(load_default="")  # noqa: N815
    alerts = fields.List(
        fields.Nested(Alert), required=True, validate=validate.Length(min=1, max=500)
    )


class AlertsAcceptedSchema(Schema):
    alerts = fields.Integer(metadata={"description": "alerts in the payload"})
    routed = fields.Integer(metadata={"description": "alerts that reached at least one route"})
    skipped = fields.Integer(metadata={"description": "alerts of communities the key cannot see"})
    deliveries = fields.List(fields.String())


class LinkPreviewSchema(Schema):
    """What an action link's page shows, before anything is done."""

    action = fields.String(metadata={"enum": ["accept", "decline", "resolve"]})
    case = fields.String(metadata={"description": "the case number"})
    category = fields.String()
    place = fields.String()
    description = fields.String(metadata={"description": "phone numbers masked"})
    deadline = fields.String(metadata={"description": "in the community's local time"})
    expires_at = fields.AwareDateTime(metadata={"description": "until when the link acts"})
    used = fields.Boolean()
    confirm = fields.String(
        metadata={"description": "send it back in the POST that acts (the page's form does)"}
    )


class LinkConfirmSchema(_Tolerant):
    """The POST that acts: the confirmation the link's page (or its JSON) carried."""

    confirm = fields.String(
        load_default="", validate=validate.Length(max=100), metadata={"description": "from the GET"}
    )


class LinkResultSchema(Schema):
    ok = fields.Boolean(required=True)
    action = fields.String()
    case = fields.String(metadata={"description": "the case number"})
    state = fields.String(allow_none=True, metadata={"description": "the case's state now"})
    reason = fields.String(metadata={"enum": ["done"]})
    message = fields.String()
    links = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "what may follow: `resolve` once a case is accepted"},
    )
