"""Who lives and works in the sample community, as its register files list them (the same
files the admin CLI imported): people with their roles and teams, and the units residents
report from."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from scripts.simulate.stage import SAMPLE


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: tuple[str, ...]
    teams: tuple[str, ...]
    grids: tuple[str, ...]

    @property
    def role(self) -> str:
        """The role they act in (the first the register gives)."""
        return self.roles[0]


@dataclass(frozen=True)
class Unit:
    code: str
    grid: str
    leader: str | None  # the unit leader (单元长), if it has one


@cache
def people() -> dict[str, Person]:
    with (SAMPLE / "people.csv").open(encoding="utf-8", newline="") as rows:
        return {
            row["id"]: Person(
                row["id"],
                row["name"],
                tuple(filter(None, row["roles"].split(";"))),
                tuple(filter(None, row["teams"].split(";"))),
                tuple(filter(None, row["home_grids"].split(";"))),
            )
            for row in csv.DictReader(rows)
            if row["active"] == "true"
        }


def team(code: str) -> list[Person]:
    return [person for person in people().values() if code in person.teams]


def with_role(role: str) -> list[Person]:
    return [person for person in people().values() if role in person.roles]


@cache
def units() -> list[Unit]:
    """Every unit, with the grid its building is in."""
    with (SAMPLE / "areas.csv").open(encoding="utf-8", newline="") as rows:
        areas = list(csv.DictReader(rows))
    parent = {area["code"]: area["parent"] for area in areas}
    kind = {area["code"]: area["kind"] for area in areas}

    def grid_of(code: str) -> str:
        while kind.get(code) != "grid":
            code = parent[code]
        return code

    return [
        Unit(a["code"], grid_of(a["code"]), a["unit_leader"] or None)
        for a in areas
        if a["kind"] == "unit"
    ]
