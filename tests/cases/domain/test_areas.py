"""Locating a report to its grid from the area replica, and refusing what does not exist.
Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.cases.domain.areas import (
    AreaNode,
    CommunityMap,
    UnknownArea,
    contains,
    listing,
    locate,
    place_name,
)
from tests.cases.factories import community

AREA = community()


@pytest.mark.parametrize(
    ("location", "grid", "code", "place"),
    [
        ({"area_code": "e1-b5-u2"}, "g1", "e1-b5-u2", "井湘小区5栋2单元"),
        (
            {"estate": "井湘小区", "building": "5栋", "unit": "2单元"},
            "g1",
            "e1-b5-u2",
            "井湘小区5栋2单元",
        ),
        ({"estate": "e1", "building": "e1-b5"}, "g1", "e1-b5", "井湘小区5栋"),
        ({"lat": 28.136, "lon": 113.018}, "g2", None, "第二网格"),
        ({"address": "井湘北苑东门"}, "g2", "e2", "井湘北苑"),
        ({"grid_id": "g1", "building": "7"}, "g1", None, "第一网格"),
        ({"grid_id": "g1", "area_code": "e1-b5"}, "g1", "e1-b5", "井湘小区5栋"),
    ],
    ids=["area-code", "names", "codes", "point", "address", "grid-only", "grid-and-code"],
)
def test_a_report_is_located_by_the_most_precise_thing_it_says(location, grid, code, place):
    found = locate(AREA, location)
    assert (found.grid_id, found.area_code, found.place) == (grid, code, place)


@pytest.mark.parametrize(
    ("location", "estate_code"),
    [
        ({"area_code": "e1-b5-u2"}, "e1"),
        ({"estate": "井湘小区", "building": "5栋"}, "e1"),
        ({"address": "井湘北苑东门"}, "e2"),
        ({"lat": 28.136, "lon": 113.018}, None),
    ],
)
def test_a_place_in_an_estate_names_the_estate_s_code(location, estate_code):
    """The estate service counts complaints against an estate's company by this code."""
    assert locate(AREA, location).codes["estate_code"] == estate_code


@pytest.mark.parametrize(
    ("area", "location", "field"),
    [
        (CommunityMap("nowhere"), {"grid_id": "g1"}, "community_id"),
        (AREA, {"grid_id": "g9"}, "location.grid_id"),
        (AREA, {"grid_id": "e1"}, "location.grid_id"),
        (AREA, {"area_code": "e9-b1"}, "location.area_code"),
        (AREA, {"lat": 30.0, "lon": 120.0}, "location"),
        (AREA, {"grid_id": "g2", "area_code": "e1-b5"}, "location.grid_id"),
        (AREA, {"address": "somewhere else"}, "location"),
        (AREA, {}, "location"),
    ],
    ids=[
        "unknown-community",
        "unknown-grid",
        "not-a-grid",
        "unknown-code",
        "point-outside",
        "grid-disagrees",
        "unplaceable-address",
        "nothing",
    ],
)
def test_what_does_not_exist_is_refused_on_its_field(area, location, field):
    with pytest.raises(UnknownArea) as refused:
        locate(area, location)
    assert list(refused.value.details()["fields"]) == [field]


def test_a_removed_community_or_grid_is_unknown():
    removed = AREA.applied(replace(AREA.nodes["g1"], version=2, removed=True))
    with pytest.raises(UnknownArea):
        locate(removed, {"grid_id": "g1"})
    with pytest.raises(UnknownArea):
        locate(removed, {"area_code": "e1-b5"})  # its estate hangs under a removed grid
    gone = AREA.applied(replace(AREA.nodes["jingxiang"], version=2, removed=True))
    assert not gone.known


def test_node_versions_apply_in_any_order_and_a_repeat_changes_nothing():
    renamed = replace(AREA.nodes["g1"], name="一网格", version=3)
    older = replace(AREA.nodes["g1"], name="旧名", version=2)
    once = AREA.applied(renamed)
    assert once.nodes["g1"].name == "一网格"
    assert once.applied(renamed) is None and once.applied(older) is None
    assert AREA.applied(older).applied(renamed).nodes["g1"].name == "一网格"


def test_a_node_survives_the_trip_through_a_document_with_its_outline():
    grid = AREA.nodes["g1"]
    document = grid.to_document()
    assert all(not isinstance(value, list) for value in document["polygon"])  # no nested arrays
    assert AreaNode.from_document(document) == grid


def test_the_listing_shows_each_live_node_with_its_grid():
    shown = {area["code"]: area["grid_id"] for area in listing(AREA)["areas"]}
    assert shown == {"g1": "g1", "g2": "g2", "e1": "g1", "e2": "g2", "e1-b5": "g1",
                     "e1-b5-u1": "g1", "e1-b5-u2": "g1"}  # fmt: skip


@given(
    st.floats(min_value=0, max_value=1, allow_nan=False),
    st.floats(min_value=0, max_value=1, allow_nan=False),
)
def test_a_point_is_inside_a_rectangle_exactly_when_its_coordinates_are(x, y):
    square = ((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75))
    inside = 0.25 < x < 0.75 and 0.25 < y < 0.75
    on_edge = x in (0.25, 0.75) or y in (0.25, 0.75)
    if not on_edge:
        assert contains(square, x, y) is inside


def test_a_unit_named_after_its_building_says_the_building_once():
    chain = [
        AreaNode("e1", "estate", "g1", "井湘小区一区", 1),
        AreaNode("e1-b3", "building", "e1", "3栋", 1),
        AreaNode("e1-b3-u2", "unit", "e1-b3", "3栋2单元", 1),
    ]
    assert place_name(chain) == "井湘小区一区3栋2单元"
    assert place_name(chain[:2]) == "井湘小区一区3栋"


def test_an_address_names_a_building_only_where_its_number_is_not_part_of_a_longer_one():
    nodes = [
        AreaNode("jx", "community", None, "井湘社区", 1, timezone="Asia/Shanghai"),
        AreaNode("g1", "grid", "jx", "第一网格", 1),
        AreaNode("g2", "grid", "jx", "第二网格", 1),
        AreaNode("e1", "estate", "g1", "井湘小区一区", 1),
        AreaNode("e2", "estate", "g2", "井湘小区二区", 1),
        AreaNode("b7", "building", "e1", "7栋", 1),
        AreaNode("b7-u2", "unit", "b7", "7栋2单元", 1),
        AreaNode("b17", "building", "e2", "17栋", 1),
        AreaNode("b17-u1", "unit", "b17", "17栋1单元", 1),
        AreaNode("b17-u12", "unit", "b17", "17栋12单元", 1),
    ]
    area = CommunityMap("jx", {node.code: node for node in nodes})
    # "17栋2单元" holds "7栋2单元" (building 7, in grid 1): the address means building 17
    by_address = locate(area, {"grid_id": "g2", "address": "雨花区井湘社区17栋2单元"})
    assert (by_address.grid_id, by_address.area_code) == ("g2", "b17")
