"""Use cases of the statistics: each report of a community (or grid) over its days.

Each takes the repository, the community's zone (the ZoneBook), the caller and the
clock's now; the numbers themselves are domain/reports.py's and domain/evaluation.py's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from lianxin.access.actors import Actor
from lianxin.quarters import Quarter
from services.metrics.app.zones import ZoneOf
from services.metrics.domain import places, reports
from services.metrics.domain.evaluation import (
    Policy,
    desk_quarter,
    evaluate,
)
from services.metrics.domain.totals import add_up, add_up_by, days_between
from services.metrics.store import MetricsStore

MAX_RANGE_DAYS = 366
DEFAULT_PERIOD_DAYS = 30


class CommunityNotFound(Exception):
    """A community this key may not see: told as not found, so ids cannot be probed."""


def _visible(actor: Actor, community_id: str) -> None:
    if not actor.sees(community_id):
        raise CommunityNotFound(f"No community {community_id}.")


def _period(query: dict[str, Any], zone: ZoneInfo, now: datetime) -> tuple[date, date]:
    """The query's days, by default the last 30 up to today in the community's zone."""
    until = query.get("until") or now.astimezone(zone).date()
    since = query.get("since") or until - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if since > until:
        raise ValidationError({"from": ["Must not be after `to`."]})
    if (until - since).days > MAX_RANGE_DAYS:
        raise ValidationError({"to": [f"At most {MAX_RANGE_DAYS} days."]})
    return since, until


def _context(zone_of: ZoneOf, actor: Actor, query: dict[str, Any], now: datetime):
    """The community (if this key sees it), its period, and the head of every report."""
    community = query["community_id"]
    _visible(actor, community)
    zone = zone_of(community)
    since, until = _period(query, zone, now)
    head = {
        "community_id": community,
        "grid_id": query.get("grid_id"),
        "from": since.isoformat(),
        "to": until.isoformat(),
        "timezone": zone.key,
    }
    return community, since, until, head


def summary(store: MetricsStore, zone_of: ZoneOf, actor: Actor, query: dict, now: datetime) -> dict:
    community, since, until, head = _context(zone_of, actor, query, now)
    days = store.days_of(community, days_between(since, until))
    live = store.live_of(community)
    grid = query.get("grid_id")
    return {
        **head,
        "households": places.households(live, community, grid),
        **reports.summarise(list(days.values()), live, grid),
    }


def trend(store: MetricsStore, zone_of: ZoneOf, actor: Actor, query: dict, now: datetime) -> dict:
    community, since, until, head = _context(zone_of, actor, query, now)
    days = store.days_of(community, days_between(since, until))
    interval = query.get("interval", "day")
    periods = reports.trend(days, since, until, interval, query.get("grid_id"))
    return {**head, "interval": interval, "periods": periods}


def hotline(store: MetricsStore, zone_of: ZoneOf, actor: Actor, query: dict, now: datetime) -> dict:
    community, since, until, head = _context(zone_of, actor, query, now)
    earlier = days_between(reports.same_day_last_year(since), reports.same_day_last_year(until))
    grid = query.get("grid_id")
    report = reports.hotline(
        store.days_of(community, days_between(since, until)),
        store.days_of(community, earlier),
        since,
        until,
        places.households(store.live_of(community), community, grid),
        grid,
    )
    return {**head, **report}


def volunteers(
    store: MetricsStore, zone_of: ZoneOf, actor: Actor, query: dict, now: datetime
) -> dict:
    community, since, until, head = _context(zone_of, actor, query, now)
    days = store.days_of(community, days_between(since, until))
    return {**head, **reports.volunteers(days.values())}


def evaluation(
    store: MetricsStore, zone_of: ZoneOf, policy: Policy, actor: Actor, query: dict, now: datetime
) -> dict:
    """A quarter's evaluation of the community's grids or teams (this quarter by default)."""
    community = query["community_id"]
    _visible(actor, community)
    zone = zone_of(community)
    quarter = Quarter.parse(query["quarter"]) if "quarter" in query else Quarter.of(now, zone)
    since, until = quarter.first_day, quarter.last_day
    kind = query.get("of", "grid")
    days = store.days_of(community, days_between(since, until))
    names = places.grid_names(store.live_of(community)) if kind == "grid" else {}
    report = evaluate(policy, add_up_by(days.values(), kind), names)
    return {
        "community_id": community,
        "of": kind,
        "quarter": str(quarter),
        "from": since.isoformat(),
        "to": until.isoformat(),
        "timezone": zone.key,
        **report,
        "desk": desk_quarter(add_up(days.values())),
    }
