"""Duplicates and readable numbers: the keys and formats, plain Python, no I/O."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.cases.domain.case_numbers import case_number, is_number, local_day, prefix_for
from services.cases.domain.duplicates import distance_m, place_of, within


def test_an_area_code_names_the_place_and_the_category_is_part_of_the_key():
    place = place_of("jx", "facility.lighting", 30, "e1-b5-u2", 28.1, 113.0, "x")
    assert place.neighbours == (place.key,) and "e1-b5-u2" in place.key
    other = place_of("jx", "civility.noise", 30, "e1-b5-u2", None, None, None)
    assert other.key != place.key


def test_an_address_matches_however_it_is_spaced_and_nothing_at_all_is_no_place():
    one = place_of("jx", "environment.litter", 30, None, None, None, "井湘小区 东门, 垃圾站")
    two = place_of("jx", "environment.litter", 30, None, None, None, "井湘小区东门垃圾站")
    assert one.key == two.key
    assert place_of("jx", "environment.litter", 30, None, None, None, None) is None
    assert place_of("jx", "environment.litter", 0, None, 28.1, 113.0, None) is None


@given(
    st.floats(min_value=-60, max_value=60),
    st.floats(min_value=100, max_value=125),
    st.floats(min_value=0, max_value=2 * math.pi),
    st.floats(min_value=0, max_value=1),
    st.sampled_from([20.0, 50.0, 150.0]),
)
def test_a_report_within_the_radius_is_always_found_through_the_neighbouring_cells(
    lat, lon, bearing, fraction, radius
):
    """Whatever the cell borders, a registered report within the radius lies in one of the
    nine cells a new report looks in, and the exact distance then decides."""
    metres = fraction * radius * 0.99
    other_lat = lat + metres * math.cos(bearing) / 111_320
    other_lon = lon + metres * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    registered = place_of("jx", "c.x", radius, None, other_lat, other_lon, None)
    new = place_of("jx", "c.x", radius, None, lat, lon, None)
    assert registered.key in new.neighbours
    assert within(new, other_lat, other_lon, radius)


def test_distance_is_metres_on_the_ground():
    assert abs(distance_m(28.1345, 113.012, 28.1345 + 1 / 111_195, 113.012) - 1.0) < 0.01


def test_numbers_are_per_community_prefix_and_local_day():
    assert prefix_for("jingxiang", {"jingxiang": "JX"}) == "JX"
    assert prefix_for("c-1a2b3c4d5e", {}) == "C1A2B3C4"
    # 17:30 UTC is already the next day in Changsha
    assert local_day(datetime(2026, 11, 20, 17, 30, tzinfo=UTC), "Asia/Shanghai") == "20261121"
    number = case_number("JX", "20261121", 42)
    assert number == "JX-20261121-0042" and is_number(number)
    assert is_number(case_number("JX", "20261121", 12345))
    assert not is_number("LX-0123456789ABCDEF")
