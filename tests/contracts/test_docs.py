"""docs/events.md says what the contracts say: each event's row names exactly the fields of
its payload schema (a case event's row those beyond the `about` block, which has a row of
its own), nested ones in braces, and exactly the services that read it. Plain Python.

How a row is read: text in parentheses is explanation and is skipped; every other
`identifier` in backticks is a field; `{...}` after a field holds its fields (`[{...}]`
for a list of them).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from marshmallow import Schema

from lianxin.contracts.cases import About
from lianxin.contracts.contract import nested_schema
from scripts.stack import ROOT, SERVICES
from tests.contracts.catalogue import CONTRACTS, readers_of

DOC = ROOT / "docs" / "events.md"
EVENT_TYPE = re.compile(r"`([a-z_]+(?:\.[a-z_]+)+)`")
TOKEN = re.compile(r"`([^`]*)`|([{}])")
FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")

Fields = dict[str, Any]  # a field's name → its fields (a dict) or None


def rows() -> list[list[str]]:
    """The cells of every table row of the page (headers and rules left out)."""
    found = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("type", "block") and "---" not in cells[0]:
            found.append(cells)
    return found


def without_explanations(text: str) -> str:
    kept, depth = [], 0
    for char in text:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")" and depth > 0
    return "".join(kept)


def documented(cell: str) -> Fields:
    """The fields a payload cell names, nested ones as dicts."""
    top: Fields = {}
    stack, last = [top], None
    for name, brace in TOKEN.findall(without_explanations(cell)):
        if brace == "{":
            stack[-1][last] = stack[-1].get(last) or {}
            stack.append(stack[-1][last])
        elif brace == "}":
            stack.pop()
        elif FIELD.match(name):
            stack[-1].setdefault(name, None)
            last = name
    return top


def declared(schema: Schema) -> Fields:
    return {
        name: declared(inner) if (inner := nested_schema(field)) else None
        for name, field in schema.fields.items()
    }


def beyond_about(schema: Schema) -> Fields:
    """A case event's own fields: those About does not have, and those it narrows."""
    own = type(schema)._declared_fields
    about = About._declared_fields
    return {
        name: nested
        for name, nested in declared(schema).items()
        if name not in about or own[name] is not about[name]
    }


EVENT_ROWS = {event_type: cells for cells in rows() for event_type in EVENT_TYPE.findall(cells[0])}
ABOUT_ROW = next(cells for cells in rows() if cells[0] == "`about`")


def braces_agree(told: Fields, schema: Fields, where: str) -> None:
    """Where the page spells a field's fields out, they are the schema's."""
    for name, inner in told.items():
        if inner is not None:
            assert schema[name] is not None, f"{where}: {name} has no fields"
            assert set(inner) == set(schema[name]), f"{where}: {name}"
            braces_agree(inner, schema[name], f"{where}.{name}")


def test_every_event_of_every_contract_has_a_row_and_every_row_an_event():
    declared_types = {t for contract in CONTRACTS.values() for t in contract.types}
    assert set(EVENT_ROWS) == declared_types


def test_the_about_block_names_its_fields():
    told, schema = documented(ABOUT_ROW[1]), declared(About())
    assert set(told) == set(schema)
    braces_agree(told, schema, "about")


@pytest.mark.parametrize("event_type", sorted(EVENT_ROWS))
def test_an_events_row_names_exactly_its_fields(event_type):
    source = next(name for name, c in CONTRACTS.items() if event_type in c.types)
    schema = CONTRACTS[source].schema(event_type)
    fields = beyond_about(schema) if isinstance(schema, About) else declared(schema)
    told = documented(EVENT_ROWS[event_type][1])
    assert set(told) == set(fields)
    braces_agree(told, fields, event_type)


def spelt_out(fields: Fields) -> set[str]:
    """The names of the fields, at any depth, whose own fields are given."""
    return {
        found
        for name, inner in fields.items()
        if inner is not None
        for found in (name, *spelt_out(inner))
    }


def test_every_nested_field_is_spelt_out_somewhere():
    on_the_page = {
        name
        for cells in [ABOUT_ROW, *EVENT_ROWS.values()]
        for name in spelt_out(documented(cells[1]))
    }
    in_the_contracts = {
        name
        for contract in CONTRACTS.values()
        for schema in contract.payloads.values()
        for name in spelt_out(declared(schema))
    }
    assert in_the_contracts <= on_the_page


def consumers_named(cell: str, source: str) -> set[str]:
    text = without_explanations(cell)
    if "every other service" in text:
        return set(SERVICES) - {source}
    if "every service" in text:
        return set(SERVICES)
    return set(re.findall(r"\b(" + "|".join(SERVICES) + r")\b", text))


@pytest.mark.parametrize("event_type", sorted(EVENT_ROWS))
def test_an_events_row_names_exactly_the_services_that_read_it(event_type):
    source = next(name for name, c in CONTRACTS.items() if event_type in c.types)
    readers = {consumer.partition(".")[0] for consumer, _ in readers_of(source, event_type)}
    assert consumers_named(EVENT_ROWS[event_type][2], source) == readers
