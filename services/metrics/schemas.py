"""Event payload, request and response schemas of the metrics service.

The event schemas are tolerant readers of docs/events.md: only what every count
needs is required (the case and its community); the rest is checked for its type
when present, so a producer that does not send a field yet leaves a number (a time,
a cohort) uncounted rather than its event parked.
"""

from datetime import date

from marshmallow import EXCLUDE, Schema, fields, validate

from lianxin.bus.envelope import PayloadSchemas
from services.metrics.evaluation import UNIT_KINDS
from services.metrics.measures import CASE_MEASURES, NOTIFICATION_MEASURES
from services.metrics.reports import INTERVALS

ID = validate.Length(min=1, max=64)


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


def _optional(field_class, **kwargs):
    return field_class(load_default=None, allow_none=True, **kwargs)


class CaseFact(_Tolerant):
    """The `about` block every case event starts with, and the fields metrics reads from
    the rest of any case event's payload."""

    case_id = fields.String(required=True, validate=ID)
    community_id = fields.String(required=True, validate=ID)
    grid_id = _optional(fields.String, validate=ID)
    category = _optional(fields.String, validate=validate.Length(max=100))
    team = _optional(fields.String, validate=ID)
    channel = _optional(fields.String, validate=ID)
    priority = _optional(fields.String)
    state = _optional(fields.String, validate=ID)
    previous_state = _optional(fields.String, validate=ID)
    case_version = _optional(fields.Integer, strict=True)
    person_id = _optional(fields.String, validate=ID)
    reported_at = _optional(fields.AwareDateTime)
    accepted_at = _optional(fields.AwareDateTime)
    resolved_at = _optional(fields.AwareDateTime)
    on_time = _optional(fields.Boolean)
    first_time = _optional(fields.Boolean)
    which = _optional(fields.String, validate=validate.OneOf(["accept", "resolve"]))
    rating = _optional(fields.Integer, strict=True, validate=validate.Range(min=1, max=5))
    satisfied = _optional(fields.Boolean)
    approved = _optional(fields.Boolean)


class NotificationOutcome(_Tolerant):
    delivery_id = fields.String(required=True)
    community_id = fields.String(required=True, validate=ID)
    category = _optional(fields.String, validate=validate.Length(max=100))
    channel = fields.String(required=True, validate=ID)
    kind = _optional(fields.String)


class HoursCredited(_Tolerant):
    entry_id = fields.String(required=True)
    person_id = fields.String(required=True, validate=ID)
    community_id = fields.String(required=True, validate=ID)
    case_id = _optional(fields.String)
    hours = fields.Float(required=True, allow_nan=False, validate=validate.Range(-1000, 1000))
    kind = fields.String(load_default="credit")
    state = fields.String(load_default="approved")


class OfferExpired(_Tolerant):
    """docs/events.md gives no community: counted only when the producer adds one."""

    case_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    person_id = _optional(fields.String, validate=ID)
    community_id = _optional(fields.String, validate=ID)
    grid_id = _optional(fields.String, validate=ID)
    team = _optional(fields.String, validate=ID)


class DutyChanged(_Tolerant):
    community_id = fields.String(required=True, validate=ID)
    grid_id = fields.String(required=True, validate=ID)
    team = fields.String(required=True, validate=ID)
    on_duty = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    at = fields.AwareDateTime(required=True)


class AreaNode(_Tolerant):
    code = fields.String(required=True, validate=ID)
    kind = fields.String(required=True)
    community_id = _optional(fields.String, validate=ID)  # none above a community
    name = _optional(fields.String, validate=validate.Length(max=200))
    households = _optional(fields.Integer, strict=True, validate=validate.Range(min=0))
    timezone = _optional(fields.String, validate=validate.Length(max=64))


class AreaChanged(_Tolerant):
    node = fields.Nested(AreaNode, required=True)
    removed = fields.Boolean(load_default=False)
    area_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


EVENTS = PayloadSchemas(
    {
        **{(event_type, 1): CaseFact() for event_type in CASE_MEASURES},
        **{(event_type, 1): NotificationOutcome() for event_type in NOTIFICATION_MEASURES},
        ("hours.credited", 1): HoursCredited(),
        ("offer.expired", 1): OfferExpired(),
        ("duty.changed", 1): DutyChanged(),
        ("area.changed", 1): AreaChanged(),
    }
)


# -- requests ---------------------------------------------------------------------------


DAYS = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31))


class PeriodQuery(Schema):
    """A community's days, both ends included, in its own time zone (by default the
    last 30 days up to today; at most 366 days)."""

    community_id = fields.String(required=True, validate=ID)
    since = fields.Date(
        data_key="from", validate=DAYS, metadata={"description": "first day (YYYY-MM-DD)"}
    )
    until = fields.Date(
        data_key="to", validate=DAYS, metadata={"description": "last day (YYYY-MM-DD)"}
    )


class AreaPeriodQuery(PeriodQuery):
    grid_id = fields.String(validate=ID, metadata={"description": "one grid instead"})


class TrendQuery(AreaPeriodQuery):
    interval = fields.String(load_default="day", validate=validate.OneOf(INTERVALS))


class EvaluationQuery(Schema):
    community_id = fields.String(required=True, validate=ID)
    of = fields.String(load_default="grid", validate=validate.OneOf(UNIT_KINDS))
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    quarter = fields.Integer(validate=validate.Range(min=1, max=4))


# -- responses --------------------------------------------------------------------------


QUANTILE_METHOD = (
    "Exact for up to three cases (linear between order statistics, numpy's default); "
    "beyond that, interpolated within its histogram bucket, the lowest occupied bucket "
    "starting at the shortest time and the highest ending at the longest: always between "
    "min_seconds and max_seconds. Null with no cases."
)


class Timing(Schema):
    """Time from report to accept or to resolve over the period, in seconds."""

    count = fields.Integer(metadata={"description": "cases timed"})
    median_seconds = fields.Float(
        allow_none=True, metadata={"description": f"the median. {QUANTILE_METHOD}"}
    )
    p90_seconds = fields.Float(
        allow_none=True, metadata={"description": f"the 90th percentile. {QUANTILE_METHOD}"}
    )
    mean_seconds = fields.Float(
        allow_none=True, metadata={"description": "exact, of the times in whole seconds"}
    )
    min_seconds = fields.Integer(
        allow_none=True,
        metadata={
            "description": "the shortest time; null with no cases, or for a period that "
            "includes days counted before extremes were kept"
        },
    )
    max_seconds = fields.Integer(
        allow_none=True, metadata={"description": "the longest time; null as min_seconds is"}
    )


class Backlog(Schema):
    total = fields.Integer(metadata={"description": "open cases now"})
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    overdue = fields.Integer(metadata={"description": "open cases past their time limit"})


class Brief(Schema):
    collected = fields.Integer()
    resolved = fields.Integer()
    resolution_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)
    overdue = fields.Integer()
    median_resolve_seconds = fields.Float(
        allow_none=True, metadata={"description": f"time to resolve. {QUANTILE_METHOD}"}
    )


class ReportHead(Schema):
    community_id = fields.String()
    grid_id = fields.String(allow_none=True)
    since = fields.String(data_key="from")
    until = fields.String(data_key="to")
    timezone = fields.String()


def _rate(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


class SummarySchema(ReportHead):
    households = fields.Integer()
    collected = fields.Integer(metadata={"description": "cases reported in the period"})
    resolved = fields.Integer(metadata={"description": "resolutions in the period"})
    resolution_rate = _rate("办结率: of the cases collected in the period, the share resolved")
    on_time_rate = _rate("按时办结率: resolutions within the time limit / resolutions")
    first_time_rate = _rate("一次完成率: resolutions never reopened / resolutions")
    reopen_rate = _rate("重办率: reopenings / resolutions")
    return_rate = _rate("回退率: cases returned (退单) / collected")
    satisfaction_rate = _rate("满意率: satisfied ratings / ratings")
    satisfaction_mean = fields.Float(allow_none=True)
    overdue = fields.Integer(metadata={"description": "cases that went overdue in the period"})
    escalated = fields.Integer()
    time_to_accept = fields.Nested(Timing)
    time_to_resolve = fields.Nested(Timing)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    volunteer_hours = fields.Float()
    backlog = fields.Nested(Backlog)
    by_category = fields.Dict(keys=fields.String(), values=fields.Nested(Brief))
    by_channel = fields.Dict(keys=fields.String(), values=fields.Nested(Brief))
    by_grid = fields.Dict(keys=fields.String(), values=fields.Nested(Brief))
    by_team = fields.Dict(keys=fields.String(), values=fields.Nested(Brief))


class TrendPeriod(Brief):
    period = fields.String()
    since = fields.String(data_key="from")
    until = fields.String(data_key="to")


class TrendSchema(ReportHead):
    interval = fields.String()
    periods = fields.List(fields.Nested(TrendPeriod))


class HotlineYear(Schema):
    since = fields.String(data_key="from")
    until = fields.String(data_key="to")
    hotline_cases = fields.Integer()
    per_1000_households = fields.Float(allow_none=True)


class HotlineMonth(Schema):
    month = fields.String()
    hotline_cases = fields.Integer()
    per_1000_households = fields.Float(allow_none=True)
    last_year_hotline_cases = fields.Integer()
    last_year_per_1000_households = fields.Float(allow_none=True)


class HotlineSchema(ReportHead):
    households = fields.Integer()
    hotline_cases = fields.Integer(metadata={"description": "12345 cases in the period"})
    per_1000_households = fields.Float(allow_none=True)
    last_year = fields.Nested(HotlineYear)
    change = fields.Float(
        allow_none=True, metadata={"description": "against last year: -0.8 is an 80% fall"}
    )
    months = fields.List(fields.Nested(HotlineMonth))


class Volunteer(Schema):
    person_id = fields.String()
    hours = fields.Float()
    pending_hours = fields.Float()
    accepted = fields.Integer()
    resolved = fields.Integer()
    declined = fields.Integer()
    offers_expired = fields.Integer()


class VolunteersSchema(ReportHead):
    people = fields.Integer()
    hours = fields.Float()
    resolved = fields.Integer()
    volunteers = fields.List(fields.Nested(Volunteer))


class Formula(Schema):
    zh = fields.String()
    en = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Integer())
    rules = fields.List(fields.String())


class EvaluatedUnit(Schema):
    unit = fields.String()
    name = fields.String()
    collected = fields.Integer()
    resolved = fields.Integer()
    resolution_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)
    first_time_rate = fields.Float(allow_none=True)
    median_resolve_seconds = fields.Float(
        allow_none=True, metadata={"description": f"time to resolve. {QUANTILE_METHOD}"}
    )
    score = fields.Float(allow_none=True)
    ranked = fields.Boolean()
    rank = fields.Integer(allow_none=True)


class Listed(Schema):
    unit = fields.String()
    name = fields.String()
    score = fields.Float(allow_none=True)
    rank = fields.Integer(allow_none=True)


class EvaluationSchema(Schema):
    community_id = fields.String()
    of = fields.String()
    year = fields.Integer()
    quarter = fields.Integer()
    since = fields.String(data_key="from")
    until = fields.String(data_key="to")
    timezone = fields.String()
    formula = fields.Nested(Formula)
    units = fields.List(fields.Nested(EvaluatedUnit))
    red_list = fields.List(fields.Nested(Listed), metadata={"description": "红榜"})
    black_list = fields.List(fields.Nested(Listed), metadata={"description": "黑榜"})
