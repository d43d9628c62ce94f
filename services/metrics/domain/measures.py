"""What each event adds: the facts of docs/events.md's events, per partition.

A case event adds its flows (reported, resolved, time to resolve, ...) to the day
it happened, per community, grid, category, channel and team; its state change
(+1 to the new state, -1 from the previous one) and all-time counts to the
community's live totals; a first resolution also counts for the day the case was
reported (its cohort), so "of the cases collected in March, how many are resolved"
has an exact answer. Roster's and notify's events add hours, deliveries, people on
duty and the households and time zone of each area.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.metrics.domain.durations import timing_measures
from services.metrics.domain.totals import ALL, Cell, Fact, Level, Partition, kept, local_day, merge

CASE_MEASURES: Mapping[str, str] = {
    "case.reported": "reported",
    "case.triaged": "triaged",
    "case.triage_needed": "triage_needed",
    "case.emergency": "emergencies",
    "case.dispatched": "dispatched",
    "case.assigned": "assigned",
    "case.accepted": "accepted",
    "case.declined": "declined",
    "case.escalated": "escalated",
    "case.warning": "warnings",
    "case.overdue": "overdue",
    "case.suspended": "suspended",
    "case.resumed": "resumed",
    "case.extension_requested": "extensions_requested",
    "case.extension_decided": "extensions_decided",
    "case.resolved": "resolved",
    "case.closed": "closed",
    "case.rated": "rated",
    "case.reopened": "reopened",
    "case.rejected": "returned",  # 退单: returned to the hotline or the reporter
    "case.merged": "merged",
    "case.withdrawn": "withdrawn",
    "case.appointment_set": "appointments",  # at a desk (矛盾调处)
    "case.mediation_session": "mediation_sessions",
    "case.mediation_outcome": "mediation_outcomes",
    "case.mediation_followed_up": "mediation_follow_ups",
}
NOTIFICATION_MEASURES: Mapping[str, str] = {
    "notification.delivered": "notified",
    "notification.failed": "notification_failures",
    "notification.dead": "notifications_dead",
}

# volunteer activities: held on the day they start; attended (and the minutes an
# attendance credits) on the day of the check-in
ACTIVITY_MEASURES: Mapping[str, str] = {
    "activity.published": "activities_held",
    "activity.attended": "activities_attended",
}
# Care rounds (邻里守望): rounds ticked off (and of them, those that needed help) on the day
# they were ticked, rounds missed on the day the carer was reminded (the grid worker's
# later word is the same round: not counted again)
CARE_EVENTS = ("care.round_ticked", "care.round_missed")
CARE_MEASURES = ("care_rounds_done", "care_rounds_needs_help", "care_rounds_missed")
# The estate fund (estate's fund.payment_recorded): payments and reversals staff recorded,
# and the fen they add up to (a reversal's amount is negative), on the day recorded
FUND_MEASURES = ("fund_payments", "fund_reversals", "fund_paid_fen")

# -- pact -- the residents' pact (居民公约红黑榜), per community on the day it happened:
# observations recorded (breaches, commendations), decisions (upheld, withdrawn), and
# quarter lists published with their households on each list; never who
PACT_EVENTS = ("pact.observation_recorded", "pact.observation_decided", "pact.list_published")
PACT_MEASURES = (
    "pact_breaches", "pact_commendations", "pact_upheld", "pact_withdrawn", "pact_lists",
    "pact_black_households", "pact_red_households",
)  # fmt: skip

# The case fields a day's flows are broken down by, with the dimension names used.
DAY_DIMENSIONS = {"grid_id": "grid", "category": "category", "channel": "channel", "team": "team"}
# States after which a case is no longer waiting on anyone (the rest make the backlog),
# and the open states of the lifecycle (DESIGN.md), always shown even when empty.
CLOSED_STATES = frozenset({"resolved", "closed", "rejected", "merged", "withdrawn"})
OPEN_STATES = ("reported", "triaged", "dispatched", "accepted", "escalated", "reopened")
PERSON_MEASURES = frozenset({"accepted", "declined", "resolved"})
AREA_KINDS = frozenset({"community", "grid"})  # the areas rates are computed for
DUTY = "duty|"
AREA = "area|"


def facts_of(
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    payload: Mapping[str, Any],
    zone_of: Callable[[str], ZoneInfo],
) -> list[Fact]:
    """The facts an event adds (none for an event metrics does not count). `zone_of`
    names a community's time zone, which cuts its days."""
    if event_type in ("duty.changed", "area.changed"):
        return _level_facts(event_id, event_type, payload)
    if not payload.get("community_id"):
        return []  # an expired offer says no community (docs/events.md): nothing to count in
    zone = zone_of(payload["community_id"])
    if event_type in CASE_MEASURES:
        return _case_facts(event_id, event_type, occurred_at, payload, zone)
    if event_type in NOTIFICATION_MEASURES:
        return _notification_facts(event_id, event_type, occurred_at, payload, zone)
    if event_type == "hours.credited":
        return _hours_facts(event_id, occurred_at, payload, zone)
    if event_type == "offer.expired":
        return _expiry_facts(event_id, occurred_at, payload, zone)
    if event_type in ACTIVITY_MEASURES:
        return _activity_facts(event_id, event_type, occurred_at, payload, zone)
    if event_type in CARE_EVENTS:
        return _care_facts(event_id, event_type, occurred_at, payload, zone)
    if event_type == "fund.payment_recorded":
        return _fund_facts(event_id, occurred_at, payload, zone)
    if event_type in PACT_EVENTS:
        return _pact_facts(event_id, event_type, occurred_at, payload, zone)
    return []


def _level_facts(event_id: str, event_type: str, payload: Mapping[str, Any]) -> list[Fact]:
    if event_type == "duty.changed":
        return [_duty_fact(event_id, payload)]
    node = payload["node"]
    if node["kind"] in AREA_KINDS and node.get("community_id"):
        return [_area_fact(event_id, payload)]
    return []  # subdistricts, estates, buildings and units: no rate is computed for them


def grid_channel(grid_id: str, channel: str) -> str:
    """The one crossed dimension: reports per grid and channel, for a grid's hotline rate."""
    return f"{grid_id}|{channel}"


def top_category(category: str) -> str:
    """`facility.lighting` → `facility`: the bounded label Prometheus gets."""
    return category.partition(".")[0]


# -- case events ------------------------------------------------------------------------


def _case_facts(
    event_id: str, event_type: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    community = p["community_id"]
    flows = Counter({_flow(event_type, p): 1}) + _extras(event_type, p)
    timed = _timings(event_type, p)
    at = p.get("reported_at") if event_type == "case.reported" else None
    day = Partition(community, local_day(at or occurred_at, zone))
    dimensions = _case_dimensions(p)

    day_cells: Counter[Cell] = Counter()
    for dimension in dimensions:
        _add(day_cells, dimension, flows)
        _add(day_cells, dimension, timed)
    if event_type == "case.reported" and p.get("grid_id") and p.get("channel"):
        _add(day_cells, ("grid_channel", grid_channel(p["grid_id"], p["channel"])), flows)
    person = p.get("person_id")
    if person:
        mine = {measure: n for measure, n in flows.items() if measure in PERSON_MEASURES}
        _add(day_cells, ("person", person), mine)

    live_cells: Counter[Cell] = Counter()
    _add(live_cells, ALL, flows)
    _add(live_cells, ALL, timed)
    if p.get("category"):
        _add(live_cells, ("category_group", top_category(p["category"])), flows)
    if p.get("channel"):
        _add(live_cells, ("channel", p["channel"]), flows)
    stocks = _stock_changes(event_type, p)
    for dimension in (ALL, *[d for d in dimensions if d[0] == "grid"]):
        _add(live_cells, dimension, stocks)

    facts = _day_and_live(event_id, day, day_cells, live_cells)
    cohort = _cohort_fact(event_id, event_type, p, dimensions, zone)
    return [*facts, cohort] if cohort else facts


def _day_and_live(
    event_id: str, day: Partition, day_cells: Mapping[Cell, int], live_cells: Mapping[Cell, int]
) -> list[Fact]:
    """An event's fact for the community's day and its fact for the running totals."""
    live = Partition(day.community_id)
    return [Fact(event_id, day, dict(day_cells)), Fact(f"{event_id}:live", live, dict(live_cells))]


def _flow(event_type: str, p: Mapping[str, Any]) -> str:
    """The measure a case event counts: its own, but an agreement's follow-up visit not
    made by its day is no case overdue (its time limits are not concerned)."""
    if event_type == "case.overdue" and p.get("which") == "follow_up":
        return "follow_ups_overdue"
    return CASE_MEASURES[event_type]


def _case_dimensions(p: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [ALL, *[(name, str(p[key])) for key, name in DAY_DIMENSIONS.items() if p.get(key)]]


def _extras(event_type: str, p: Mapping[str, Any]) -> Counter[str]:
    """Measures an event adds beyond its own, read from its payload."""
    extra: Counter[str] = Counter()
    if event_type == "case.resolved":
        extra["resolved_on_time"] += bool(p.get("on_time"))
        extra["resolved_first_time"] += bool(p.get("first_time"))
    elif event_type == "case.closed":
        extra["closed_on_time"] += bool(p.get("on_time"))
    elif event_type == "case.overdue" and p.get("which") in ("accept", "resolve"):
        extra[f"overdue_{p['which']}"] += 1
    elif event_type == "case.rated" and p.get("rating") is not None:
        extra["satisfied"] += bool(p.get("satisfied"))
        extra["rating_sum"] += int(p["rating"])
        extra[f"rating_{int(p['rating'])}"] += 1
    elif event_type == "case.extension_decided":
        extra["extensions_approved"] += bool(p.get("approved"))
    elif event_type == "case.triaged" and top_category(p.get("category") or "") == "dispute":
        # the desk took the dispute in (受理): once per case, however often it changes hands
        extra["disputes_taken"] += 1
    elif event_type == "case.mediation_outcome":
        extra["disputes_settled" if p.get("result") == "agreement" else "disputes_referred"] += 1
    elif event_type == "case.mediation_followed_up":
        agreed = p.get("result") == "agreement"
        extra["follow_ups_done" if agreed else "referrals_answered"] += 1
        extra["follow_ups_on_time"] += agreed and bool(p.get("on_time"))
    return +extra


def _timings(event_type: str, p: Mapping[str, Any]) -> dict[str, int]:
    """The time to accept or resolve, as its bucket, count, sum and extremes (which may
    be zero: not to be summed with Counter's `+`, which drops them)."""
    reported = p.get("reported_at")
    if event_type == "case.accepted" and reported and p.get("accepted_at"):
        return timing_measures("accept", (p["accepted_at"] - reported).total_seconds())
    if event_type == "case.resolved" and reported and p.get("resolved_at"):
        return timing_measures("resolve", (p["resolved_at"] - reported).total_seconds())
    return {}


def _stock_changes(event_type: str, p: Mapping[str, Any]) -> Counter[str]:
    """The live counts a case event moves: +1 to the state it enters, -1 from the one it
    leaves; +1 overdue when its resolve deadline passes, -1 when it is resolved late."""
    stocks: Counter[str] = Counter()
    state, previous = p.get("state"), p.get("previous_state")
    if state and state != previous:
        stocks[f"state:{state}"] += 1
        if previous:
            stocks[f"state:{previous}"] -= 1
    if event_type == "case.overdue" and p.get("which") == "resolve":
        stocks["overdue_open"] += 1
    if event_type == "case.resolved" and p.get("on_time") is False:
        stocks["overdue_open"] -= 1
    return stocks


def _cohort_fact(
    event_id: str,
    event_type: str,
    p: Mapping[str, Any],
    dimensions: list[tuple[str, str]],
    zone: ZoneInfo,
) -> Fact | None:
    """A first resolution counts for the day its case was reported: the cohort's rate."""
    if event_type != "case.resolved" or not p.get("first_time") or not p.get("reported_at"):
        return None
    cohort = Partition(p["community_id"], local_day(p["reported_at"], zone))
    cells: Counter[Cell] = Counter()
    for dimension in dimensions:
        _add(cells, dimension, {"cohort_resolved": 1})
    return Fact(f"{event_id}:cohort", cohort, dict(cells))


# -- roster and notify events -----------------------------------------------------------


def _notification_facts(
    event_id: str, event_type: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    community = p["community_id"]
    measure = {NOTIFICATION_MEASURES[event_type]: 1}
    day_cells: Counter[Cell] = Counter()
    live_cells: Counter[Cell] = Counter()
    for dimension in (ALL, ("notify_channel", p["channel"])):
        _add(day_cells, dimension, measure)
        _add(live_cells, dimension, measure)
    if p.get("category"):
        _add(day_cells, ("category", p["category"]), measure)
        _add(live_cells, ("category_group", top_category(p["category"])), measure)
    day = Partition(community, local_day(occurred_at, zone))
    return _day_and_live(event_id, day, day_cells, live_cells)


def _hours_facts(
    event_id: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    """Hours are summed in thousandths (exact for the quarter and half hours of the
    ledger); a reversal takes hours away, whichever sign it is written with."""
    milli = round(float(p["hours"]) * 1000)
    if p.get("kind") == "reversal":
        milli = -abs(milli)
    measure = "hours_milli" if p.get("state", "approved") == "approved" else "hours_pending_milli"
    measures = {measure: milli, "hour_entries": 1}
    day_cells: Counter[Cell] = Counter()
    _add(day_cells, ALL, measures)
    _add(day_cells, ("person", p["person_id"]), measures)
    live_cells: Counter[Cell] = Counter()
    _add(live_cells, ALL, {measure: milli})
    community = p["community_id"]
    day = Partition(community, local_day(occurred_at, zone))
    return _day_and_live(event_id, day, day_cells, live_cells)


def _care_facts(
    event_id: str, event_type: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    if event_type == "care.round_ticked":
        measures = {
            "care_rounds_done": 1,
            "care_rounds_needs_help": int(p.get("outcome") == "needs_help"),
        }
    elif p.get("stage") == "carer":
        measures = {"care_rounds_missed": 1}
    else:
        return []
    day_cells: Counter[Cell] = Counter()
    for dimension in (ALL, ("grid", p["grid_id"])):
        _add(day_cells, dimension, measures)
    return [
        Fact(event_id, Partition(p["community_id"], local_day(occurred_at, zone)), dict(day_cells))
    ]


def _fund_facts(
    event_id: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    entry = "fund_payments" if p["kind"] == "payment" else "fund_reversals"
    day_cells: Counter[Cell] = Counter()
    _add(day_cells, ALL, {entry: 1, "fund_paid_fen": int(p["amount_fen"])})
    return [
        Fact(event_id, Partition(p["community_id"], local_day(occurred_at, zone)), dict(day_cells))
    ]


def _pact_facts(
    event_id: str, event_type: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    if event_type == "pact.observation_recorded":
        measures = {"pact_breaches" if p["kind"] == "breach" else "pact_commendations": 1}
    elif event_type == "pact.observation_decided":
        measures = {f"pact_{p['outcome']}": 1}
    else:
        measures = {
            "pact_lists": 1,
            "pact_black_households": int(p["black_households"]),
            "pact_red_households": int(p["red_households"]),
        }
    day_cells: Counter[Cell] = Counter()
    _add(day_cells, ALL, measures)
    return [
        Fact(event_id, Partition(p["community_id"], local_day(occurred_at, zone)), dict(day_cells))
    ]


def _expiry_facts(
    event_id: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    community = p["community_id"]
    day_cells: Counter[Cell] = Counter()
    for dimension in _case_dimensions(p):
        _add(day_cells, dimension, {"offers_expired": 1})
    if p.get("person_id"):
        _add(day_cells, ("person", p["person_id"]), {"offers_expired": 1})
    day = Partition(community, local_day(occurred_at, zone))
    return _day_and_live(event_id, day, day_cells, {(*ALL, "offers_expired"): 1})


def _activity_facts(
    event_id: str, event_type: str, occurred_at: datetime, p: Mapping[str, Any], zone: ZoneInfo
) -> list[Fact]:
    measures = {ACTIVITY_MEASURES[event_type]: 1}
    at = occurred_at
    if event_type == "activity.published":
        at = p["starts_at"]
    else:
        measures["activity_minutes"] = int(p["minutes"])
    day_cells: Counter[Cell] = Counter()
    _add(day_cells, ALL, measures)
    if p.get("person_id"):
        _add(day_cells, ("person", p["person_id"]), measures)
    return [Fact(event_id, Partition(p["community_id"], local_day(at, zone)), dict(day_cells))]


def _duty_fact(event_id: str, p: Mapping[str, Any]) -> Fact:
    key = f"{DUTY}{p['grid_id']}|{p['team']}"
    value = {"grid": p["grid_id"], "team": p["team"], "on_duty": int(p["on_duty"])}
    level = Level(key, _instant(p["at"]), event_id, value)
    return Fact(f"{event_id}:live", Partition(p["community_id"]), levels={key: level})


def _area_fact(event_id: str, p: Mapping[str, Any]) -> Fact:
    node = p["node"]
    key = f"{AREA}{node['code']}"
    value = {
        "kind": node["kind"],
        "code": node["code"],
        "name": node.get("name") or node["code"],
        "households": int(node.get("households") or 0),
        "timezone": node.get("timezone"),
        "removed": bool(p.get("removed")),
    }
    level = Level(key, f"{int(p['area_version']):012d}", event_id, value)
    return Fact(f"{event_id}:live", Partition(node["community_id"]), levels={key: level})


def _instant(at: datetime) -> str:
    """A UTC timestamp that sorts as text."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _add(cells: Counter[Cell], dimension: tuple[str, str], measures: Mapping[str, int]) -> None:
    for measure, count in measures.items():
        if kept(measure, count):
            merge(cells, (dimension[0], dimension[1], measure), measure, count)
