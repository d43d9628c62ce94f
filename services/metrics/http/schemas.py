"""Request and response schemas of the metrics service's HTTP API (the events it reads:
events.py, from the shared contracts)."""

from datetime import date

from marshmallow import Schema, fields, validate

from lianxin.quarters import QUARTER
from services.metrics.domain.evaluation import UNIT_KINDS
from services.metrics.domain.reports import INTERVALS

ID = validate.Length(min=1, max=64)


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
    quarter = fields.String(
        validate=QUARTER, metadata={"description": "`2026-Q4`; this quarter by default"}
    )


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


class Pact(Schema):
    """The residents' pact (居民公约红黑榜) in the period: observations recorded (breaches,
    commendations), decisions (upheld, withdrawn), quarter lists published and the
    households on them. Nothing of it feeds the grids' evaluation."""

    breaches = fields.Integer()
    commendations = fields.Integer()
    upheld = fields.Integer()
    withdrawn = fields.Integer()
    lists = fields.Integer()
    black_households = fields.Integer()
    red_households = fields.Integer()


class CareRounds(Schema):
    """Care rounds (邻里守望) in the period: ticked off, of them needing help, and missed
    (a round still not ticked when its carer was reminded)."""

    done = fields.Integer()
    needs_help = fields.Integer()
    missed = fields.Integer()


class Activities(Schema):
    """Volunteer activities: held (on the day they start), attendances and the minutes
    those credited (on the day of the check-in)."""

    held = fields.Integer()
    attended = fields.Integer()
    minutes_credited = fields.Integer()


class Fund(Schema):
    """The estate fund (estate's `fund.payment_recorded`): payments and reversals staff
    recorded, and the fen they add up to (reversals negative), on the day recorded."""

    payments = fields.Integer()
    reversals = fields.Integer()
    paid_fen = fields.Integer()


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
    activities = fields.Nested(Activities)
    care_rounds = fields.Nested(CareRounds)
    fund = fields.Nested(Fund)
    pact = fields.Nested(Pact)
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
    rules_zh = fields.List(fields.String(), metadata={"description": "the rules in Chinese"})


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


class DeskQuarter(Schema):
    """The mediation desk's quarter (矛盾调处), counted for the community."""

    disputes_taken = fields.Integer(metadata={"description": "disputes triaged to the desk"})
    disputes_settled = fields.Integer(metadata={"description": "outcomes: an agreement"})
    disputes_referred = fields.Integer(metadata={"description": "outcomes: a referral"})
    mediation_sessions = fields.Integer(metadata={"description": "sessions held"})
    follow_ups_done = fields.Integer(metadata={"description": "agreements' visits made"})
    follow_ups_on_time = fields.Integer(metadata={"description": "of them, by their day"})
    follow_ups_late = fields.Integer(metadata={"description": "of them, after their day"})
    follow_ups_overdue = fields.Integer(
        metadata={"description": "visits not made by their day (the assignee reminded)"}
    )
    referrals_answered = fields.Integer()


class EvaluationSchema(Schema):
    community_id = fields.String()
    of = fields.String()
    quarter = fields.String(metadata={"description": "`2026-Q4`"})
    since = fields.String(data_key="from")
    until = fields.String(data_key="to")
    timezone = fields.String()
    formula = fields.Nested(Formula)
    units = fields.List(fields.Nested(EvaluatedUnit))
    red_list = fields.List(fields.Nested(Listed), metadata={"description": "红榜"})
    black_list = fields.List(fields.Nested(Listed), metadata={"description": "黑榜"})
    desk = fields.Nested(DeskQuarter, metadata={"description": "the mediation desk's quarter"})
