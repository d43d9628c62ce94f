"""Who lives and works in the sample community, as its register files list them (the same
files the admin CLI imported): people with their roles and teams, the units residents
report from, and the households of estate's register with their floor area and numbers."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from scripts.simulate.stage import HOUSEHOLDS, SAMPLE


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: tuple[str, ...]
    teams: tuple[str, ...]
    grids: tuple[str, ...]
    household: str | None = None  # the household of the register they belong to
    unit: str | None = None  # the unit they live in
    sms: str | None = None  # the number notify texts (their `sms:` contact)

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
                row["household"] or None,
                row["unit"] or None,
                _sms_of(row["contacts"]),
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


@dataclass(frozen=True)
class Household:
    """A household of estate's register (households.csv), as staff and residents know it."""

    id: str
    estate: str
    building: str
    unit: str
    room: str
    floor_area_centi_m2: int  # 89.50 m² → 8950, exact
    phones: tuple[str, ...]


@cache
def households() -> list[Household]:
    with HOUSEHOLDS.open(encoding="utf-8", newline="") as rows:
        return [
            Household(
                row["household_id"], row["estate"], row["building"], row["unit"], row["room"],
                centi(row["floor_area"]), tuple(filter(None, row["phones"].split(";"))),
            )
            for row in csv.DictReader(rows)
        ]  # fmt: skip


@cache
def areas() -> dict[str, dict[str, str]]:
    """The sample's areas by code: kind, parent, name, as roster imported them."""
    with (SAMPLE / "areas.csv").open(encoding="utf-8", newline="") as rows:
        return {area["code"]: area for area in csv.DictReader(rows)}


def area_names() -> dict[str, str]:
    """Each area's name by its code (`jingxiang-b01` → 1栋), as roster tells estate."""
    return {code: area["name"] for code, area in areas().items()}


def estate_of(code: str) -> str | None:
    """The estate an area (a unit, a building) lies in, as cases places a report."""
    found = areas()
    while code in found and found[code]["kind"] != "estate":
        code = found[code]["parent"]
    return code if code in found else None


def centi(area: str) -> int:
    """A floor area written with at most two places (`89.5`) in exact hundredths of a m²."""
    whole, _, part = area.strip().partition(".")
    return int(whole) * 100 + int((part + "00")[:2])


def _sms_of(contacts: str) -> str | None:
    return next((c.removeprefix("sms:") for c in contacts.split(";") if c.startswith("sms:")), None)
