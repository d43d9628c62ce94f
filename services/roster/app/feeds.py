"""Each person's rota as an iCalendar feed (RFC 5545, built with `icalendar`).

Calendar apps subscribe to a URL and cannot send an API key, so the feed's URL
carries a signed token (services.roster.http.feed_tokens).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from lianxin.privacy import mask_name
from services.roster.app.duty_week import rotas_on
from services.roster.store import RosterStore

PAST = timedelta(days=7)
AHEAD = timedelta(days=42)


def calendar(store: RosterStore, person: dict[str, Any], now: datetime) -> bytes:
    """The person's duty from a week ago to six weeks ahead on every rota they are on
    (app/duty_week.py), overrides and leave applied: one event per stretch on duty."""
    window = (now - PAST, now + AHEAD)
    feed = Calendar()
    feed.add("prodid", "-//Lianxin//roster//ZH")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"连心值班 · {mask_name(person['name'])}")
    for found in rotas_on(store, person, window):
        rota = found.rota
        team = store.definition("teams", f"{rota.community_id}:{rota.team}") or {"name": rota.team}
        grids = "、".join(
            (store.definition("areas", grid) or {"name": grid})["name"] for grid in rota.grids
        )
        for start, end in found.duty.intervals.get(person["_id"], ()):
            event = Event()
            stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            event.add("uid", f"{rota.id}/{person['_id']}/{stamp}@lianxin")
            event.add("dtstamp", now)
            event.add("dtstart", start)
            event.add("dtend", end)
            event.add("summary", f"值班 · {team['name']}")
            event.add("location", grids)
            event.add("description", f"rota {rota.id}")
            feed.add_component(event)
    return feed.to_ical()
