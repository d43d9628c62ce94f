"""Event payload and request schemas of the metrics service."""

from datetime import date, timedelta

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from lianxin.envelope import PayloadSchemas
from services.metrics.domain import MEASURE_OF_EVENT

MAX_RANGE_DAYS = 366


class CaseFact(Schema):
    """Every event metrics counts shares these fields; the rest is ignored."""

    class Meta:
        unknown = EXCLUDE

    case_id = fields.String(required=True)
    community_id = fields.String(required=True)
    category = fields.String(required=True)
    on_time = fields.Boolean()


class SummaryQuery(Schema):
    community_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    since = fields.Date(data_key="from", load_default=lambda: date.today() - timedelta(days=30))
    until = fields.Date(data_key="to", load_default=date.today)

    @validates_schema
    def range_is_sane(self, data, **kwargs):
        if data["since"] > data["until"]:
            raise ValidationError("Must not be after `to`.", "from")
        if (data["until"] - data["since"]).days > MAX_RANGE_DAYS:
            raise ValidationError(f"At most {MAX_RANGE_DAYS} days.", "to")


class SummarySchema(Schema):
    community_id = fields.String()
    since = fields.String(data_key="from")
    until = fields.String(data_key="to")
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    open = fields.Integer(metadata={"description": "reported and not yet resolved"})
    resolution_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)
    by_category = fields.Dict(keys=fields.String(), values=fields.Dict())


EVENTS = PayloadSchemas({(event_type, 1): CaseFact() for event_type in MEASURE_OF_EVENT})
