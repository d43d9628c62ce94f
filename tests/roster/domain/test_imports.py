"""Import checking as plain Python: every rejected row with where it is and why, and the
sample community as it ships."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.roster.admin import read
from services.roster.domain.imports import Move, plan
from services.roster.domain.rota import on_duty
from services.roster.domain.rows import rows_from_document
from services.roster.store import rota_from_document

SAMPLE = Path(__file__).parents[3] / "services" / "roster" / "data" / "jingxiang"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Stored:
    """What the store would already hold, by kind and key."""

    def __init__(self, **kinds):
        self.kinds = kinds

    def find(self, kind, key):
        return self.kinds.get(kind, {}).get(key)


NOTHING = Stored()
COMMUNITY = [
    {"code": "sd", "kind": "subdistrict", "name": "街道"},
    {
        "code": "c1",
        "kind": "community",
        "parent": "sd",
        "name": "社区",
        "timezone": "Asia/Shanghai",
    },
    {"code": "c1-g1", "kind": "grid", "parent": "c1", "name": "一网格", "leader": "p-lead"},
]
PEOPLE = [
    {"id": "p-lead", "community": "c1", "name": "刘一", "roles": ["grid_leader"], "teams": ["fix"]},
    {"id": "p-a", "community": "c1", "name": "王二", "teams": ["fix"]},
]
TEAMS = [
    {
        "community": "c1",
        "code": "fix",
        "name": "维修",
        "categories": ["facility.*"],
        "grids": ["c1-g1"],
    }
]
ROTA = {
    "id": "c1:fix",
    "community": "c1",
    "team": "fix",
    "starts": "2026-01-01",
    "slots": ["FREQ=DAILY;BYHOUR=8 for 12h", "FREQ=DAILY;BYHOUR=20 for 12h"],
    "crews": [["p-lead"], ["p-a"]],
}


def checked(**sections):
    document = {"areas": COMMUNITY, "people": PEOPLE, "teams": TEAMS, "rotas": [ROTA], **sections}
    return plan(rows_from_document(document, "test.yaml"), NOTHING)


def reasons(result) -> dict[str, list[str]]:
    return {rejected.source: list(rejected.reasons) for rejected in result.rejected}


def test_a_whole_community_is_accepted_and_stored_in_dependency_order():
    result = checked()
    assert result.ok
    assert result.counts() == {"policies": 0, "areas": 3, "people": 2, "teams": 1, "rotas": 1}
    assert [area["kind"] for area in result.documents["areas"]] == [
        "subdistrict",
        "community",
        "grid",
    ]
    assert result.documents["areas"][2]["community_id"] == "c1"
    rota = result.documents["rotas"][0]
    assert rota["grids"] == ["c1-g1"] and rota["timezone"] == "Asia/Shanghai"
    assert rota["crews"] == [{"people": ["p-lead"]}, {"people": ["p-a"]}]  # no nested arrays


def test_every_rejected_row_is_listed_with_where_and_why():
    result = checked(
        people=[*PEOPLE, {"id": "p-x", "community": "c1", "name": "", "roles": ["wizard"]}],
        rotas=[ROTA, {**ROTA, "id": "c1:bad", "slots": ["FREQ=MONTHLY for 2h"]}],
    )
    found = reasons(result)
    assert set(found) == {"test.yaml: people #3", "test.yaml: rotas #2"}
    assert any("name:" in reason for reason in found["test.yaml: people #3"])
    assert any("roles.0:" in reason for reason in found["test.yaml: people #3"])
    assert found["test.yaml: rotas #2"] == ["slots: Use FREQ=DAILY, WEEKLY or HOURLY, not MONTHLY."]


def test_a_row_that_leans_on_a_rejected_row_is_rejected_too_saying_so():
    bad_lead = {**PEOPLE[0], "home_grids": ["c1-g9"]}
    result = checked(people=[bad_lead, PEOPLE[1]])
    found = reasons(result)
    assert found["test.yaml: people #1"] == ["c1-g9 is not a grid of c1."]
    assert found["test.yaml: areas #3"] == ["No person p-lead."]  # the grid names its leader
    assert found["test.yaml: rotas #1"] == ["No person p-lead."]
    assert not result.documents["rotas"]


def test_a_person_s_unit_must_be_a_unit_of_their_community():
    """people.csv's `unit` (where the person lives) reaches notify's notices: a typo would
    text the wrong building, so it is checked against the registry."""
    units = [
        {"code": "c1-e1", "kind": "estate", "parent": "c1-g1", "name": "小区"},
        {"code": "c1-b1", "kind": "building", "parent": "c1-e1", "name": "1栋"},
        {"code": "c1-b1-u1", "kind": "unit", "parent": "c1-b1", "name": "1栋1单元"},
    ]
    at_home = {**PEOPLE[1], "unit": "c1-b1-u1"}
    accepted = checked(areas=[*COMMUNITY, *units], people=[PEOPLE[0], at_home])
    assert accepted.ok
    assert {p["_id"]: p["unit_id"] for p in accepted.documents["people"]} == {
        "p-lead": None,
        "p-a": "c1-b1-u1",
    }
    for unit in ("c1-b1", "c1-b1-u9"):  # a building, and no such unit
        refused = checked(areas=[*COMMUNITY, *units], people=[PEOPLE[0], {**at_home, "unit": unit}])
        assert reasons(refused)["test.yaml: people #2"] == [f"{unit} is not a unit of c1."]


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        ({"code": "x", "kind": "grid", "name": "x"}, "A grid needs a parent community."),
        (
            {"code": "x", "kind": "grid", "parent": "sd", "name": "x"},
            "The parent of a grid is a community",
        ),
        ({"code": "x", "kind": "community", "parent": "sd", "name": "x"}, "needs a time zone"),
        (
            {
                "code": "x",
                "kind": "community",
                "parent": "sd",
                "name": "x",
                "timezone": "Mars/Base",
            },
            "Unknown time zone",
        ),
        (
            {"code": "x", "kind": "unit", "parent": "c1-g1", "name": "x"},
            "parent of a unit is a building",
        ),
        (
            {"code": "x", "kind": "grid", "parent": "c1", "name": "x", "neighbours": ["nowhere"]},
            "Neighbour nowhere is not a grid of c1.",
        ),
        (
            {"code": "x", "kind": "estate", "parent": "c1-g1", "name": "x", "leader": "p-a"},
            "Only a grid has a leader.",
        ),
    ],
)
def test_areas_must_fit_the_hierarchy(area, reason):
    result = checked(areas=[*COMMUNITY, area])
    assert any(reason in r for r in reasons(result)["test.yaml: areas #4"])


def test_a_duplicate_row_is_rejected_pointing_at_the_first():
    result = checked(people=[*PEOPLE, PEOPLE[1]])
    assert reasons(result)["test.yaml: people #3"] == ["Also at test.yaml: people #2."]


def test_rows_may_refer_to_what_is_stored_already():
    stored = Stored(
        areas={
            "c1": {
                "_id": "c1",
                "kind": "community",
                "community_id": "c1",
                "timezone": "Asia/Shanghai",
            },
            "c1-g1": {"_id": "c1-g1", "kind": "grid", "community_id": "c1"},
        },
        teams={"c1:fix": {"_id": "c1:fix", "grids": ["c1-g1"], "community_id": "c1"}},
    )
    result = plan(rows_from_document({"people": PEOPLE}, "people.yaml"), stored)
    assert result.ok and result.counts()["people"] == 2


def test_a_row_naming_a_record_of_another_community_moves_it_and_touches_both():
    stored = Stored(
        areas={
            "c1": {"_id": "c1", "kind": "community", "community_id": "c1"},
            "c1-g1": {"_id": "c1-g1", "kind": "grid", "community_id": "c1"},
        },
        teams={"c1:fix": {"_id": "c1:fix", "grids": ["c1-g1"], "community_id": "c1"}},
        people={"p-a": {"_id": "p-a", "community_id": "c2"}, "p-lead": {"community_id": "c1"}},
    )
    result = plan(rows_from_document({"people": PEOPLE}, "people.yaml"), stored)
    assert result.ok and result.moves == [Move("people", "p-a", "c2", "c1")]
    assert result.communities() == {"c1", "c2"}


# -- the sample community as it ships ------------------------------------------------------------


SAMPLE_PLAN = plan(read([SAMPLE]), NOTHING)
ROTAS = [rota_from_document(document) for document in SAMPLE_PLAN.documents["rotas"]]


def test_the_sample_community_imports_without_a_rejected_row():
    assert SAMPLE_PLAN.ok, SAMPLE_PLAN.rejected[:5]
    counts = SAMPLE_PLAN.counts()
    assert counts["areas"] > 150 and counts["people"] > 90 and counts["rotas"] == 17


def test_the_sample_has_three_grids_unit_leaders_and_the_households_of_the_field():
    areas = SAMPLE_PLAN.documents["areas"]
    grids = [a for a in areas if a["kind"] == "grid"]
    assert [g["_id"] for g in grids] == ["jingxiang-g1", "jingxiang-g2", "jingxiang-g3"]
    units = [a for a in areas if a["kind"] == "unit"]
    assert units and all(unit["unit_leader"] for unit in units)
    buildings = [
        a for a in areas if a["kind"] == "building" and not a["_id"].startswith("jingxiang-s")
    ]
    assert len(buildings) == 46
    assert sum(unit["households"] for unit in units) == 5926


def test_the_repair_crew_is_seven_people():
    crew = {p["_id"] for p in SAMPLE_PLAN.documents["people"] if "repair_crew" in p["teams"]}
    assert crew == {f"p-repair-{n}" for n in range(1, 8)}


@pytest.mark.parametrize("hour", range(0, 24, 1))
def test_every_grid_has_someone_on_duty_every_hour_for_every_round_the_clock_team(hour):
    at = datetime(2026, 3, 7, hour, 30, tzinfo=SHANGHAI)
    teams = {t["code"]: t for t in SAMPLE_PLAN.documents["teams"]}
    for code, team in teams.items():
        if not team["around_the_clock"]:
            continue
        for grid in team["grids"]:
            serving = [rota for rota in ROTAS if rota.team == code and grid in rota.grids]
            assert any(on_duty(rota, at) for rota in serving), (code, grid, hour)


def test_the_mediation_desk_sits_on_friday_mornings_and_afternoons_only():
    desk = next(rota for rota in ROTAS if rota.team == "mediation_desk")
    friday = datetime(2026, 3, 6, tzinfo=SHANGHAI)
    assert on_duty(desk, friday + timedelta(hours=10)) and on_duty(
        desk, friday + timedelta(hours=15)
    )
    assert not on_duty(desk, friday + timedelta(hours=13))
    assert not on_duty(desk, friday + timedelta(days=1, hours=10))
