"""The rows of an import: areas, people, teams, rotas and policies, as CSV or YAML; their
columns, and the rows read from a CSV text or a YAML (or JSON) document.

The same columns serve both formats. In YAML a list is a list; in a CSV cell it is
written out: `a;b` for a list, `wecom:ljg;sms:13807310001` for contacts,
`28.136 113.03;28.14 113.04` for a polygon, `FREQ=DAILY;BYHOUR=8 for 8h | ...` for
shifts, and `p-1;p-2 | p-3` for crews (members of a crew with `;`, crews in their
turn order with `|`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from lianxin.access.actors import ROLES
from lianxin.contracts.roster import AREA_KINDS
from services.roster.domain.policy import CATEGORY_PATTERN, SLUG, PolicySchema, duration

ROTA_ID = validate.Regexp(r"^[a-z0-9][a-z0-9_:-]{0,99}$", error="Use a-z, 0-9, _, - and :.")
CHANNELS = ("wecom", "dingtalk", "sms", "email", "phone", "webhook")
QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
ADDRESS = {
    "sms": re.compile(r"^\+?\d{5,20}$"),
    "phone": re.compile(r"^\+?\d{5,20}$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "webhook": re.compile(r"^https?://\S+$"),
    "wecom": re.compile(r"^\S{1,64}$"),
    "dingtalk": re.compile(r"^\S{1,64}$"),
}


SECTIONS = ("policies", "areas", "people", "teams", "rotas")  # the order they are stored in
MAX_ROWS = 200_000


class ImportFileError(Exception):
    """A file that is not an import file at all (unknown name, not a mapping, ...)."""


@dataclass(frozen=True)
class Row:
    kind: str
    source: str  # where it came from: `people.csv:12`, `community.yaml: rotas #3`
    data: Any


def _split(value: Any, separator: str) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(separator) if part.strip()]
    return value


class _Row(Schema):
    """A row: unknown columns are refused (a typo in a header is a mistake to show)."""

    LISTS: tuple[str, ...] = ()

    @pre_load
    def from_csv(self, data: Any, **kwargs: Any) -> Any:
        """CSV gives every cell as text: empty cells are absent, lists are spelt out."""
        if not isinstance(data, dict):
            return data
        cells = {key: value for key, value in data.items() if value not in ("", None)}
        for name in self.LISTS:
            cells[name] = _split(cells.get(name), ";") if name in cells else cells.get(name)
            if cells[name] is None:
                del cells[name]
        return cells


class PointSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


class AreaRow(_Row):
    LISTS = ("neighbours", "workers", "staff")

    code = fields.String(required=True, validate=SLUG)
    kind = fields.String(required=True, validate=validate.OneOf(AREA_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    parent = fields.String(validate=SLUG)
    households = fields.Integer(validate=validate.Range(0, 1_000_000))
    timezone = fields.String(validate=validate.Length(max=64))
    polygon = fields.List(fields.Nested(PointSchema), validate=validate.Length(max=200))
    neighbours = fields.List(fields.String(validate=SLUG))
    leader = fields.String(validate=SLUG)
    workers = fields.List(fields.String(validate=SLUG))
    unit_leader = fields.String(validate=SLUG)
    staff = fields.List(fields.String(validate=SLUG))
    removed = fields.Boolean(load_default=False)

    @pre_load
    def polygon_from_text(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("polygon"), str):
            points = []
            for pair in _split(data["polygon"], ";"):
                lat, _, lon = pair.replace(",", " ").partition(" ")
                points.append({"lat": lat.strip(), "lon": lon.strip()})
            data = {**data, "polygon": points}
        return data


class ContactSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @pre_load
    def from_text(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, str):
            channel, _, address = data.partition(":")
            return {"channel": channel.strip(), "address": address.strip()}
        return data

    @validates_schema
    def address_fits_channel(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not ADDRESS[data["channel"]].match(data["address"]):
            raise ValidationError(f"Not a valid {data['channel']} address.", "address")


class PersonRow(_Row):
    LISTS = ("roles", "teams", "skills", "home_grids", "contacts")

    id = fields.String(required=True, validate=SLUG)
    community = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(validate=validate.Regexp(r"^\+?\d{5,20}$", error="Digits only."))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=["volunteer"])
    teams = fields.List(fields.String(validate=SLUG), load_default=list)
    skills = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list)
    home_grids = fields.List(fields.String(validate=SLUG), load_default=list)
    max_open_cases = fields.Integer(validate=validate.Range(1, 200))
    contacts = fields.List(fields.Nested(ContactSchema), load_default=list)
    quiet_hours = fields.String(validate=validate.Regexp(QUIET_HOURS, error="Like 22:00-07:00."))
    household = fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,99}$"))
    unit = fields.String(validate=SLUG)  # the unit (单元) the person lives in: notices reach it
    active = fields.Boolean(load_default=True)


class TeamRow(_Row):
    LISTS = ("categories", "grids")

    code = fields.String(required=True, validate=SLUG)
    community = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    categories = fields.List(fields.String(validate=CATEGORY_PATTERN), required=True)
    grids = fields.List(fields.String(validate=SLUG), required=True)
    around_the_clock = fields.Boolean(load_default=True)


class SlotSchema(Schema):
    rule = fields.String(required=True, validate=validate.Length(min=6, max=300))
    hours = fields.Float(required=True, validate=validate.Range(min=0.25, max=48))

    @pre_load
    def from_text(self, data: Any, **kwargs: Any) -> Any:
        """`FREQ=DAILY;BYHOUR=8 for 8h` (the duration in any form policy durations take)."""
        if isinstance(data, str):
            rule, separator, length = data.rpartition(" for ")
            if not separator:
                raise ValidationError("Write a shift as `<RRULE> for <duration>`.")
            try:
                hours = duration(length).total_seconds() / 3600
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
            return {"rule": rule.strip(), "hours": hours}
        return data


class RotaRow(_Row):
    LISTS = ("grids",)

    id = fields.String(required=True, validate=ROTA_ID)
    community = fields.String(required=True, validate=SLUG)
    team = fields.String(required=True, validate=SLUG)
    grids = fields.List(fields.String(validate=SLUG))
    starts = fields.Date(required=True)
    until = fields.Date()
    slots = fields.List(fields.Nested(SlotSchema), required=True, validate=validate.Length(1, 50))
    crews = fields.List(
        fields.List(fields.String(validate=SLUG), validate=validate.Length(1, 50)),
        required=True,
        validate=validate.Length(1, 100),
    )
    check_in = fields.String(
        load_default="optional", validate=validate.OneOf(("optional", "required"))
    )

    @pre_load
    def nested_from_text(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if isinstance(data.get("slots"), str):
            data = {**data, "slots": _split(data["slots"], "|")}
        if isinstance(data.get("crews"), str):
            data = {**data, "crews": [_split(crew, ";") for crew in _split(data["crews"], "|")]}
        return data


class PolicyRow(PolicySchema):
    community = fields.String(required=True, validate=SLUG)


ROWS: dict[str, type[Schema]] = {
    "areas": AreaRow,
    "people": PersonRow,
    "teams": TeamRow,
    "rotas": RotaRow,
    "policies": PolicyRow,
}


# -- rows from CSV text and YAML (or JSON) documents ---------------------------------------

CSV_KINDS = ("areas", "people", "teams", "rotas")  # a CSV file is named for its kind
YAML_SUFFIXES = (".yaml", ".yml")


def rows_from_file(name: str, text: str) -> list[Row]:
    """The rows of one import file, by its name: `people.csv` (areas, people, teams or
    rotas) or a YAML file with sections. The operator's CLI reads files with it, and
    roster's API the file a client (the console) uploads: one reading for both."""
    stem, _, suffix = name.rpartition(".")
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte order mark
    if suffix == "csv":
        if stem not in CSV_KINDS:
            raise ImportFileError(f"{name}: name a CSV file areas, people, teams or rotas.")
        return rows_from_csv(stem, text, name)
    if f".{suffix}" in YAML_SUFFIXES:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ImportFileError(f"{name}: not valid YAML ({exc}).") from None
        return rows_from_document(document, name)
    raise ImportFileError(f"{name}: import .csv or .yaml files.")


def rows_from_csv(kind: str, text: str, name: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        if None in row:
            rows.append(Row(kind, f"{name}:{reader.line_num}", {"_extra": row.pop(None)}))
            continue
        cells = {key.strip(): (value or "").strip() for key, value in row.items()}
        rows.append(Row(kind, f"{name}:{reader.line_num}", cells))
    return rows


def rows_from_document(document: Any, name: str) -> list[Row]:
    """A YAML file (or a JSON body) with a list per section: areas, people, teams, ..."""
    if not isinstance(document, Mapping):
        raise ImportFileError(f"{name}: expected sections ({', '.join(SECTIONS)}).")
    unknown = set(document) - set(SECTIONS)
    if unknown:
        raise ImportFileError(f"{name}: unknown sections {', '.join(sorted(map(str, unknown)))}.")
    rows = []
    for kind in SECTIONS:
        entries = document.get(kind) or []
        if not isinstance(entries, list):
            raise ImportFileError(f"{name}: {kind} is a list of rows.")
        rows.extend(Row(kind, f"{name}: {kind} #{i + 1}", entry) for i, entry in enumerate(entries))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"{name}: at most {MAX_ROWS} rows at a time.")
    return rows
