"""What a grid role sees of the people and the area registry, and the registry as a tree
(services.console.domain.registry)."""

from __future__ import annotations

import pytest

from services.console.domain.queue import NotVisible
from services.console.domain.registry import area_tree, grid_filter, require_person_visible
from services.console.domain.sessions import Scope

STAFF = Scope("jingxiang", None)
GRID_1 = Scope("jingxiang", frozenset({"jingxiang-g1"}))
AREAS = [
    {"code": "jingxiang", "kind": "community", "name": "井湘社区", "parent": "yuhuating"},
    {"code": "jingxiang-g2", "kind": "grid", "name": "第二网格", "parent": "jingxiang"},
    {"code": "jingxiang-g1", "kind": "grid", "name": "第一网格", "parent": "jingxiang"},
    {"code": "b1", "kind": "building", "name": "1栋", "parent": "jingxiang-g1"},
    {"code": "b1-u1", "kind": "unit", "name": "1单元", "parent": "b1"},
    {"code": "b2", "kind": "building", "name": "2栋", "parent": "jingxiang-g1", "removed": True},
    {"code": "b2-u1", "kind": "unit", "name": "1单元", "parent": "b2"},
]


def test_the_registry_is_a_tree_of_grids_buildings_and_units_without_removed_areas():
    tree = area_tree("jingxiang", AREAS, STAFF)
    assert [grid.code for grid in tree] == ["jingxiang-g1", "jingxiang-g2"]
    (building,) = tree[0].children
    assert (building.code, [unit.code for unit in building.children]) == ("b1", ["b1-u1"])
    assert [grid.code for grid in area_tree("jingxiang", AREAS, GRID_1)] == ["jingxiang-g1"]


def test_a_grid_role_lists_only_its_grids_people():
    assert grid_filter(STAFF, None) is None and grid_filter(STAFF, "jingxiang-g2") == "jingxiang-g2"
    assert grid_filter(GRID_1, None) == "jingxiang-g1"
    assert grid_filter(GRID_1, "jingxiang-g2") == "jingxiang-g1"


@pytest.mark.parametrize(
    ("scope", "person"),
    [
        (STAFF, None),
        (STAFF, {"community_id": "elsewhere", "home_grids": []}),
        (GRID_1, {"community_id": "jingxiang", "home_grids": ["jingxiang-g2"]}),
        (GRID_1, {"community_id": "jingxiang", "home_grids": []}),
    ],
)
def test_a_person_outside_the_scope_is_not_found(scope, person):
    with pytest.raises(NotVisible):
        require_person_visible(scope, person)


def test_a_person_within_the_scope_is_shown():
    person = {"community_id": "jingxiang", "home_grids": ["jingxiang-g1"]}
    assert require_person_visible(GRID_1, person) is person
    assert require_person_visible(STAFF, {**person, "home_grids": []})
