"""Request and response schemas of the notify service's HTTP API (event payloads:
events.py, from the shared contracts)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

SLUG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


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


class SignInCodeSchema(Schema):
    """The staff console asks for a person's sign-in code to be sent to them."""

    person_id = fields.String(required=True, validate=SLUG)
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


class VerificationCodeSchema(Schema):
    """The console's scan-to-report page asks for a resident's verification code to be
    texted to the number they gave."""

    community_id = fields.String(required=True, validate=SLUG)
    phone = fields.String(
        required=True,
        validate=validate.Regexp(r"^1[3-9]\d{9}$", error="An 11-digit mainland mobile number."),
    )
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
