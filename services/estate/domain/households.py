"""The household register (住户登记): who lives where, on how much floor, reachable at which
numbers — what the estate's self-governance (the fund, the pact, the property company's
evaluation) is counted per.

A household's id is the one roster's people carry as `household_id` (`jingxiang-b11-u3-202`):
unique within its community, so a household is stored as `<community>:<household>`. Floor
area is kept in hundredths of a square metre, an exact integer (89.5 m² → 8950): dues are
computed from it and must come out the same on every machine. A household's numbers are
kept only as a keyed digest (lianxin.phones, under estate's own secret) to match a
resident who proves a number by SMS code, and masked for display; the number itself is
never stored, logged, nor put in an event.

Import rows (CSV, as staff's spreadsheets write them; `households.csv`):

    household_id,community,estate,building,unit,room,floor_area,phones
    jingxiang-b11-u3-202,jingxiang,jingxiang-e1,jingxiang-b11,jingxiang-b11-u3,202,89.50,13807310357
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from dataclasses import fields as fields_of
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from lianxin.phones import normalized
from lianxin.privacy import mask_phone

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="Use a-z, 0-9, _ and -, up to 64.")
ROOM = validate.Regexp(r"^[A-Za-z0-9-]{1,16}$", error="A room number: letters, digits, -.")
# a flat of the estates this serves is 30–300 m²; outside 1–10,000 m² it is a typo
MIN_AREA, MAX_AREA = Decimal("1"), Decimal("10000")
MAX_PHONES = 5
MAX_ROWS = 20_000
COLUMNS = (
    "household_id",
    "community",
    "estate",
    "building",
    "unit",
    "room",
    "floor_area",
    "phones",
)
FILE_NAME = "households.csv"


class ImportFileError(Exception):
    """A file that is not a household register at all (wrong name, wrong header)."""


@dataclass(frozen=True)
class Household:
    """One household of the register, as stored: its numbers as digests and masked."""

    community_id: str
    household_id: str
    estate: str
    building: str
    unit: str
    room: str
    floor_area_centi_m2: int  # hundredths of a square metre, exact
    phone_digests: tuple[str, ...] = ()
    phones_masked: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return household_key(self.community_id, self.household_id)


def household_key(community_id: str, household_id: str) -> str:
    """The register's `_id` of a household: its id is unique within its community only."""
    return f"{community_id}:{household_id}"


def phone_key(community_id: str, digest: str) -> str:
    """The `_id` of a number's entry in the community's phone index."""
    return f"{community_id}:{digest}"


def centi_m2(text: Any) -> int:
    """`89.5` or `89.50` m² as 8950 hundredths: exact, never a float; at most two places."""
    try:
        area = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError("A floor area in m², e.g. 89.50.") from None
    if not area.is_finite() or area != area.quantize(Decimal("0.01")):
        raise ValueError("A floor area in m² with at most two decimal places.")
    if not MIN_AREA <= area <= MAX_AREA:
        raise ValueError(f"A floor area between {MIN_AREA} and {MAX_AREA} m².")
    return int(area * 100)


def in_m2(centi: int) -> Decimal:
    """Hundredths of a m² as m² to two places (8950 → 89.50), written as a number."""
    return Decimal(centi) / 100


class HouseholdRow(Schema):
    """One row of a household register; unknown columns are refused (a typo in a header
    is a mistake to show). Every cell arrives as text."""

    household_id = fields.String(required=True, validate=SLUG)
    community = fields.String(required=True, validate=SLUG)
    estate = fields.String(required=True, validate=SLUG)
    building = fields.String(required=True, validate=SLUG)
    unit = fields.String(required=True, validate=SLUG)
    room = fields.String(required=True, validate=ROOM)
    floor_area = fields.String(required=True)
    phones = fields.List(fields.String(), load_default=list)

    @pre_load
    def from_cells(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cells = {key: value.strip() for key, value in data.items() if isinstance(value, str)}
        cells = {key: value for key, value in cells.items() if value}
        if "phones" in cells:
            cells["phones"] = [p.strip() for p in re.split(r"[;；]", cells["phones"]) if p.strip()]
        return cells


@dataclass(frozen=True)
class Rejected:
    """A row that cannot be imported: where it is, which household, and why (no number in
    the reasons: they are shown and may be logged)."""

    source: str
    household_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """What an import would store: the households, or the rows rejected."""

    households: tuple[Household, ...] = ()
    rejected: tuple[Rejected, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass
class _Checked:
    households: dict[str, Household] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)


def rows_from_csv(name: str, text: str) -> list[tuple[str, dict[str, str]]]:
    """The rows of an uploaded register, each with where it is (`households.csv:12`)."""
    if name != FILE_NAME:
        raise ImportFileError(f"{name}: name the register's CSV file {FILE_NAME}.")
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [column.strip() for column in reader.fieldnames or ()]
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown or not header:
        raise ImportFileError(
            f"{name}: unknown columns {', '.join(unknown) or '(none)'}; use {', '.join(COLUMNS)}."
        )
    rows = []
    for row in reader:
        source = f"{name}:{reader.line_num}"
        if None in row:
            rows.append((source, {"household_id": row.get("household_id") or "", "_extra": "1"}))
        else:
            rows.append((source, {key.strip(): value or "" for key, value in row.items()}))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"{name}: at most {MAX_ROWS} households at a time.")
    return rows


def plan_import(
    rows: Iterable[tuple[str, Mapping[str, Any]]],
    may_import: Callable[[str], bool],
    digest: Callable[[str], str],
) -> Plan:
    """Check every row; the plan stores nothing while any row is rejected. `may_import`
    says whether the importer may change a community's register; `digest` keys a number
    (estate's secret). A household named twice is rejected the second time."""
    checked = _Checked()
    for source, data in rows:
        household_id = str(data.get("household_id", "")).strip()[:64]
        try:
            household = _household(data, digest)
        except ValidationError as exc:
            reasons = tuple(f"{name}: {' '.join(map(str, why))}" for name, why in
                            sorted(exc.normalized_messages().items()))  # fmt: skip
            checked.rejected.append(Rejected(source, household_id, reasons))
            continue
        if not may_import(household.community_id):
            reason = f"community: {household.community_id} is not yours to import into"
            checked.rejected.append(Rejected(source, household_id, (reason,)))
        elif household.key in checked.households:
            checked.rejected.append(Rejected(source, household_id, ("household_id: twice",)))
        else:
            checked.households[household.key] = household
    return Plan(tuple(checked.households.values()), tuple(checked.rejected))


def _household(data: Mapping[str, Any], digest: Callable[[str], str]) -> Household:
    if "_extra" in data:
        raise ValidationError({"row": ["More cells than columns."]})
    row = HouseholdRow().load(dict(data))
    errors: dict[str, list[str]] = {}
    try:
        area = centi_m2(row["floor_area"])
    except ValueError as exc:
        errors["floor_area"] = [str(exc)]
    numbers = [normalized(phone) for phone in row["phones"]]
    if None in numbers:
        errors["phones"] = ["Mainland mobile numbers (11 digits), separated by ;."]
    elif len(set(numbers)) > MAX_PHONES:
        errors["phones"] = [f"At most {MAX_PHONES} numbers a household."]
    if errors:
        raise ValidationError(errors)
    unique = sorted(set(n for n in numbers if n))
    return Household(
        community_id=row["community"],
        household_id=row["household_id"],
        estate=row["estate"],
        building=row["building"],
        unit=row["unit"],
        room=row["room"],
        floor_area_centi_m2=area,
        phone_digests=tuple(digest(n) for n in unique),
        phones_masked=tuple(mask_phone(n) for n in unique),
    )


def household_document(household: Household) -> dict[str, Any]:
    """A household as stored: its fields, the digests and masked numbers as lists."""
    return {name: list(v) if isinstance(v, tuple) else v for name, v in asdict(household).items()}


def household_from(document: Mapping[str, Any]) -> Household:
    stored = {name.name: document[name.name] for name in fields_of(Household)}
    for name in ("phone_digests", "phones_masked"):
        stored[name] = tuple(stored[name])
    return Household(**stored)
