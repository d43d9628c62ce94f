"""Each community's time zone, which cuts its statistics into days.

Roster's `area.changed` carries a community's zone; metrics keeps it in the
community's live totals. Counting an event needs it at once, so each process
caches it and reads it again (by `_id`) at most once a minute per community;
until a zone is known, the configured default (compose.default_zone) cuts the days.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.metrics.domain import places
from services.metrics.store import MetricsStore

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0
ZoneOf = Callable[[str], ZoneInfo]  # a community's zone: a ZoneBook, or a stand-in in tests


def zone_named(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone of that name; the default for none, or for a name no zone database knows."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; using %s", name, default.key)
        return default


class ZoneBook:
    """A community's zone, cached for CACHE_SECONDS per process (compose.py builds one)."""

    def __init__(
        self,
        store: MetricsStore,
        default: ZoneInfo,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._default = default
        self._clock = clock
        self._known: dict[str, tuple[float, ZoneInfo]] = {}

    def __call__(self, community_id: str) -> ZoneInfo:
        now = self._clock()
        cached = self._known.get(community_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        live = self._store.live_of(community_id)
        zone = zone_named(places.timezone_name(live, community_id), self._default)
        self._known[community_id] = (now, zone)
        return zone
