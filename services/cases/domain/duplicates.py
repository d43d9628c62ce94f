"""Where two reports count as the same problem: the keys of the small index documents
that hold the open case of a category at a place. Plain Python, no I/O.

A report located by an area code (estate, building, unit) matches that code; one
located by a point matches points within the category's radius, found through the
cells of a grid of that size (its own cell and the eight around it, so a match across
a cell border is not missed; the distance is then checked exactly); one with only an
address matches the same address, written the same way. A grid alone is too coarse
to call two reports the same problem.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

METRES_PER_DEGREE = 111_320.0
MAX_LATITUDE = 60.0  # the cells are wide enough up to here


@dataclass(frozen=True)
class Place:
    """The index key to register a new case under, and the keys to look in."""

    key: str
    neighbours: tuple[str, ...]
    lat: float | None = None
    lon: float | None = None


def place_of(
    community_id: str,
    category: str,
    radius_m: float,
    area_code: str | None,
    lat: float | None,
    lon: float | None,
    address: str | None,
) -> Place | None:
    base = f"{community_id}|{category}"
    if area_code:
        key = f"{base}|area|{area_code}"
        return Place(key, (key,))
    if lat is not None and lon is not None and radius_m > 0:
        row, column = _cell(lat, lon, radius_m)
        cells = [(row + dr, column + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        keys = tuple(f"{base}|cell|{int(radius_m)}|{r}|{c}" for r, c in cells)
        return Place(keys[4], keys, lat, lon)
    if address:
        normal = re.sub(r"[\s\W_]+", "", address.lower())
        if normal:
            digest = hashlib.sha256(normal.encode()).hexdigest()[:24]
            key = f"{base}|address|{digest}"
            return Place(key, (key,))
    return None


def within(place: Place, lat: float | None, lon: float | None, radius_m: float) -> bool:
    """Whether a registered case at (lat, lon) is near enough to `place` to be the same."""
    if place.lat is None or place.lon is None:
        return True  # matched by area code or address: the key says it all
    if lat is None or lon is None:
        return False
    return distance_m(place.lat, place.lon, lat, lon) <= radius_m


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact to centimetres over the few hundred metres here."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_000.0


def _cell(lat: float, lon: float, radius_m: float) -> tuple[int, int]:
    """Cells at least `radius_m` across, in degrees that do not depend on the point: a
    width of the radius at 60° latitude, so wider than the radius anywhere nearer the
    equator (all of China lies below 54°)."""
    size_lat = radius_m / METRES_PER_DEGREE
    size_lon = radius_m / (METRES_PER_DEGREE * math.cos(math.radians(MAX_LATITUDE)))
    return math.floor(lat / size_lat), math.floor(lon / size_lon)
