"""Every query that is not a lone `{_id: value}` is listed in docs/store-queries.md and has
an index that MongoDB serves it from (docs/architecture.md rule 8).

The e2e stack writes the shape of every filter its services and the admin CLI send to
`<state_dir>/queries.jsonl` (lianxin.store.query_log.QueryLog). The stack lives for the
session (a stack per `make test` worker), and the check runs once for each group of e2e
modules on the stack, last in the group and on the worker that ran it (tests/workers.py):
the log it reads holds the queries of every test of its group, so together the runs check
every query the e2e tests make. The test also drives a short flow of its own (report,
dispatch, accept, resolve, the listings) so that it checks something when run alone.

A shape is the collection and the field names of the filter, operators stripped. For each
shape other than a lone `_id` compared for equality (`_id` with `$in` or a range is a scan
on FerretDB, so it is listed like any other):

(a) a row of the table in docs/store-queries.md matches it: same service and collection,
    its required fields all present, no field outside its required and optional (`?`)
    ones; the most specific matching row (fewest fields) is the one that counts;
(b) an index in the service's database serves it: its leading keys are exactly the
    filter's equality fields (`$eq`, `$in`), then the sort, if any ("full"); a row whose
    index cell says "partial" also accepts an index that only narrows the scan (its first
    key an equality or range field of the filter) or walks the sort order; a row whose
    index cell starts with "none" is a read of every document (no equality or range field,
    no sort). Each index the row names (`name_1_...`) must exist.

The stack runs on FerretDB, where the services make no secondary index (it would read
none: lianxin.store.repository.ensure_indexes). The indexes checked are the ones the same code makes
on MongoDB, made here in scratch databases by each service's repository.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from lianxin.config import Settings
from lianxin.store.query_log import QueryLog
from lianxin.store.repository import build_context, ensure_indexes
from scripts.stack import SERVICES
from services.cases.store import CaseStore
from services.console.store import ConsoleStore
from services.estate.store import EstateStore
from services.metrics.store import MetricsStore
from services.notify.store import NotifyStore
from services.roster import compose as roster_compose
from tests.e2e.conftest import (
    ROOT,
    client,
    community,
    helper_headers,
    report_case,
    wait_for_state,
    wait_until,
)
from tests.workers import STACK_GROUPS

pytestmark = pytest.mark.e2e

DOC = ROOT / "docs" / "store-queries.md"
EQUALITY = frozenset({"$eq", "$in"})
RANGE = frozenset({"$gt", "$gte", "$lt", "$lte"})
INDEX_NAME = re.compile(r"`([A-Za-z0-9_.\-]+_-?1)`")  # `community_id_1_reported_at_-1`
FIELD = re.compile(r"`([A-Za-z_][A-Za-z0-9_.]*)`(\?)?")  # `state`, `reported_at`? (optional)


@dataclass(frozen=True)
class Shape:
    """One query as the log shows it, values and operators reduced to field names."""

    service: str
    collection: str
    command: str
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # (field, operators), sorted
    sort: tuple[tuple[str, int], ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.fields)

    @property
    def equal(self) -> frozenset[str]:
        return frozenset(name for name, ops in self.fields if set(ops) <= EQUALITY)

    @property
    def ranged(self) -> frozenset[str]:
        return frozenset(name for name, ops in self.fields if set(ops) & RANGE) - self.equal

    @property
    def lone_id(self) -> bool:
        return self.fields == (("_id", ("$eq",)),)

    def __str__(self) -> str:
        described = ", ".join(
            name if ops == ("$eq",) else f"{name} {'/'.join(ops)}" for name, ops in self.fields
        )
        order = ", ".join(f"{name} {direction}" for name, direction in self.sort)
        return f"{self.service}: {self.command} on {self.collection} {{{described}}}" + (
            f" sorted by {order}" if order else ""
        )


@dataclass(frozen=True)
class Row:
    """One row of the table in docs/store-queries.md."""

    line: int
    services: frozenset[str] | None  # None: every service
    collection: str
    required: frozenset[str]
    optional: frozenset[str]
    allowed: frozenset[str]  # coverages this row accepts: full, partial, read-all
    index_names: tuple[str, ...]

    def matches(self, shape: Shape) -> bool:
        return (
            (self.services is None or shape.service in self.services)
            and shape.collection == self.collection
            and self.required <= shape.names <= self.required | self.optional
        )


def read_log(path: Path, db_prefix: str) -> set[Shape]:
    """The query shapes of the log; inserts (which have no filter, and which the log holds
    for the bench's command counts) are no queries."""
    shapes = set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            if not entry["db"].startswith(db_prefix) or not isinstance(entry["collection"], str):
                continue
            if entry["command"] == "insert":
                continue
            fields = entry.get("fields", {name: ["$eq"] for name in entry["filter"]})
            shapes.add(
                Shape(
                    service=entry["db"][len(db_prefix) :],
                    collection=entry["collection"],
                    command=entry["command"],
                    fields=tuple((name, tuple(ops)) for name, ops in sorted(fields.items())),
                    sort=tuple((name, direction) for name, direction in entry.get("sort", [])),
                )
            )
    return shapes


def read_table(text: str) -> list[Row]:
    """The rows of the table whose header starts `| service | collection | filter |`."""
    rows, columns = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("|"):
            columns = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if columns is None:
            if [cell.lower() for cell in cells[:3]] == ["service", "collection", "filter"]:
                columns = [cell.lower() for cell in cells]
            continue
        if set(cells[0]) <= set("-: "):
            continue  # the separator line
        cell = dict(zip(columns, cells, strict=False))
        fields = FIELD.findall(cell["filter"])
        index = cell.get("mongodb index", "")
        services = {name.strip().strip("`") for name in cell["service"].split(",")}
        rows.append(
            Row(
                line=number,
                services=None if "every service" in services else frozenset(services),
                collection=cell["collection"].strip("`"),
                required=frozenset(name for name, optional in fields if not optional),
                optional=frozenset(name for name, optional in fields if optional),
                allowed=frozenset(
                    {"read-all"}
                    if index.lower().startswith("none")
                    else {"full", "partial"}
                    if "partial" in index.lower()
                    else {"full"}
                ),
                index_names=tuple(INDEX_NAME.findall(index)),
            )
        )
    return rows


def coverage(shape: Shape, indexes: Iterable[list[tuple[str, Any]]]) -> str:
    """How the best of `indexes` serves `shape` on MongoDB: full (its leading keys are the
    equality fields, then the sort), partial (it narrows the scan by a filter field, or
    walks the sort order), read-all (the query reads every document by design), or none."""
    equal, ranged, sort = shape.equal, shape.ranged, list(shape.sort)
    if not equal and not ranged and not sort:
        return "read-all"
    indexes = [[(name, int(direction)) for name, direction in keys] for keys in indexes]
    for keys in indexes:
        names = [name for name, _ in keys]
        leading, rest = set(names[: len(equal)]), keys[len(equal) :]
        if leading != equal:
            continue
        if sort and not _in_order(rest, sort):
            continue
        if equal or sort or (rest and rest[0][0] in ranged):
            return "full"
    for keys in indexes:
        if keys[0][0] in equal | ranged or (sort and _in_order(keys, sort)):
            return "partial"
    return "none"


def _in_order(keys: list[tuple[str, int]], sort: list[tuple[str, int]]) -> bool:
    """Whether `keys` start with the sort's fields, all in its direction or all reversed."""
    head = keys[: len(sort)]
    if [name for name, _ in head] != [name for name, _ in sort]:
        return False
    signs = {direction * wanted for (_, direction), (_, wanted) in zip(head, sort, strict=True)}
    return len(signs) == 1


def problems_with(shapes: Iterable[Shape], rows: list[Row], indexes_of) -> list[str]:
    found = []
    for shape in sorted(shapes, key=str):
        if shape.lone_id:
            continue
        matching = [row for row in rows if row.matches(shape)]
        if not matching:
            found.append(
                f"{shape}\n    is not in docs/store-queries.md: add a row to its table "
                "(service, collection, filter fields, sort, when it runs, cost on FerretDB, "
                "MongoDB index)"
            )
            continue
        fewest = min(len(row.required | row.optional) for row in matching)
        best = [row for row in matching if len(row.required | row.optional) == fewest]
        indexes = indexes_of(shape.service, shape.collection)
        served = coverage(shape, indexes.values())
        lines = ", ".join(str(row.line) for row in best)
        if not any(served in row.allowed for row in best):
            wanted = " or ".join(sorted(set().union(*(row.allowed for row in best))))
            found.append(
                f"{shape}\n    is served {served!r} by the indexes of {shape.collection} "
                f"({', '.join(indexes)}), docs/store-queries.md line {lines} says {wanted}: "
                f"create an index whose leading keys are {sorted(shape.equal)} then the sort in "
                f"{_owner(shape.service, shape.collection)}'s ensure_indexes, or correct the "
                "row in docs/store-queries.md"
            )
        for row in best:
            missing = [name for name in row.index_names if name not in indexes]
            if missing:
                found.append(
                    f"{shape}\n    docs/store-queries.md line {row.line} names index "
                    f"{', '.join(missing)}, which {shape.service}.{shape.collection} does not "
                    f"have ({', '.join(indexes)}): update the row or "
                    f"{_owner(shape.service, shape.collection)}"
                )
    return found


def _owner(service: str, collection: str) -> str:
    if collection == "leases":
        return "lianxin/store/repository.py"
    return f"services/{service}/store.py"


# -- the stack's own flow, then the check --------------------------------------------------


def volunteer(keys, person_id: str, place: str) -> requests.Session:
    key = keys.issue(["act", "read"], [place], name="store-queries")
    return client(key, keys.person_token(person_id, "volunteer", [place]))


def drive_a_case(stack, keys) -> None:
    """Report, dispatch, accept, resolve, and the listings that read it back."""
    place = community("sq")
    case = wait_for_state(stack, report_case(stack, place)["id"], "dispatched")
    acting = volunteer(keys, case["assignee"], place)
    url = f"{stack.url('cases')}/v1/cases/{case['id']}"
    assert acting.post(f"{url}/accept", json={}, timeout=5).status_code == 200
    resolved = acting.post(
        f"{url}/resolve", json={"resolution": "换了灯泡", "volunteer_hours": 1}, timeout=5
    )
    assert resolved.status_code == 200, resolved.text
    helper = helper_headers(stack)
    listings = [
        (f"{stack.url('cases')}/v1/cases", {"community_id": place}),
        (f"{stack.url('cases')}/v1/cases", {"community_id": place, "state": "resolved"}),
        (f"{stack.url('notify')}/v1/deliveries", {"case_id": case["id"]}),
        (f"{stack.url('roster')}/v1/people/{case['assignee']}/offers", {}),
        (f"{stack.url('estate')}/v1/households", {"community_id": "jingxiang"}),
    ]
    for url, params in listings:
        answer = requests.get(url, params=params, headers=helper, timeout=10)
        assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text}"
    ledger = f"{stack.url('roster')}/v1/people/{case['assignee']}/hours"

    def credited() -> bool:
        entries = requests.get(ledger, headers=helper, timeout=5).json()["entries"]
        return case["id"] in [entry.get("case_id") for entry in entries]

    wait_until("the volunteer hours in the ledger", credited)


REPOSITORIES = {
    "cases": CaseStore,
    "roster": roster_compose.build,
    "notify": NotifyStore,
    "metrics": MetricsStore,
    "console": ConsoleStore,
    "estate": EstateStore,  # its store alone: the phone secret is no part of its indexes
}


@pytest.fixture
def indexes_on_mongodb(mongo_client, db_prefix, amqp_uri):
    """Each service's indexes as it makes them on MongoDB: `indexes(service, collection)`."""
    prefix = f"{db_prefix}idx_"
    made = {}
    for service, repository in REPOSITORIES.items():
        settings = Settings(
            service=service, amqp_uri=amqp_uri, mongo_db_prefix=prefix, mongo_engine="mongodb"
        )
        context = build_context(settings, {}, mongo_client)
        ensure_indexes(context, repository(context))
        made[service] = context.db
    yield lambda service, collection: {
        name: index["key"] for name, index in made[service][collection].index_information().items()
    }
    for database in made.values():
        mongo_client.drop_database(database.name)


@pytest.mark.parametrize("stack_group", STACK_GROUPS)
def test_every_query_not_by_id_is_documented_and_indexed(
    stack, keys, indexes_on_mongodb, stack_group
):
    """Run last in each stack group, on the worker that ran the group (tests/workers.py):
    its stack's log then holds the queries of every test of the group."""
    log = stack.state_dir / "queries.jsonl"
    drive_a_case(stack, keys)
    shapes = read_log(log, stack.db_prefix)
    own = {(s.service, s.collection, s.names) for s in shapes}
    assert ("cases", "cases", frozenset({"community_id", "state"})) in own, (
        f"{log} does not hold the listing this test just asked for: not this stack's log"
    )
    assert set(SERVICES) <= {shape.service for shape in shapes}
    rows = read_table(DOC.read_text(encoding="utf-8"))
    assert rows, f"{DOC} has no table with the header | service | collection | filter | ..."

    problems = problems_with(shapes, rows, indexes_on_mongodb)
    heading = f"{len(problems)} quer(ies) not by `_id` need docs/store-queries.md or an index:"
    assert not problems, "\n".join([heading, *problems])


# -- the check itself, on made-up shapes (no stack) ----------------------------------------

TABLE = """
| service | collection | filter | MongoDB index |
| --- | --- | --- | --- |
| cases | `cases` | `community_id`, `reported_at`? | `community_id_1_reported_at_-1` |
| cases | `cases` | `community_id`, `state`?, `grid_id`? | partial: as above |
| every service | `leases` | (none) | none: a full read |
| every service | `leases` | `collection` | `collection_1` |
"""


def shape(collection: str, fields: Mapping[str, str], sort=(), service="cases") -> Shape:
    operators = tuple(sorted((name, (operator,)) for name, operator in fields.items()))
    return Shape(service, collection, "find", operators, tuple(sort))


def test_the_check_fails_on_a_query_the_document_or_the_indexes_miss():
    rows = read_table(TABLE)
    assert [row.allowed for row in rows] == [{"full"}, {"full", "partial"}, {"read-all"}, {"full"}]
    indexes = {
        "_id_": [("_id", 1)],
        "community_id_1_reported_at_-1": [("community_id", 1), ("reported_at", -1)],
    }
    newest = [("reported_at", -1)]
    ok = [
        shape("cases", {"_id": "$eq"}),
        shape("cases", {"community_id": "$in", "reported_at": "$lt"}, newest),
        shape("cases", {"community_id": "$eq", "state": "$in"}, newest),  # partial, allowed
        shape("leases", {}, service="notify"),
    ]
    assert problems_with(ok, rows, lambda service, collection: indexes) == []

    def problems(query: Shape, indexes=indexes) -> str:
        return "\n".join(problems_with([query], rows, lambda service, collection: indexes))

    undocumented = problems(shape("cases", {"reporter.phone": "$eq"}))
    assert "{reporter.phone}" in undocumented and "not in docs/store-queries.md" in undocumented
    by_id_in = problems(shape("cases", {"_id": "$in"}))  # FerretDB scans this one
    assert "not in docs/store-queries.md" in by_id_in
    wrong_order = problems(shape("cases", {"community_id": "$eq"}, [("number", 1)]))
    assert "served 'partial'" in wrong_order and "services/cases/store.py" in wrong_order
    no_index = problems(ok[1], {"_id_": [("_id", 1)]})
    assert "served 'none'" in no_index and "names index community_id_1_reported_at_-1" in no_index
    leases = problems(shape("leases", {"collection": "$eq"}, service="notify"))
    assert "served 'none'" in leases and "lianxin/store/repository.py" in leases


def test_the_log_holds_inserts_but_the_audit_reads_only_queries(tmp_path):
    log = tmp_path / "queries.jsonl"
    listener = QueryLog(str(log))
    for name, body in (
        ("insert", {"documents": [{"_id": "a"}, {"_id": "b"}]}),
        ("find", {"filter": {"community_id": "c1"}}),
    ):
        listener.started(
            SimpleNamespace(
                command_name=name, command={name: "cases", **body}, database_name="x_cases"
            )
        )
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(line["command"], line["filter"]) for line in lines] == [
        ("insert", []),
        ("find", ["community_id"]),
    ]
    assert all(line["at"] > 0 for line in lines)
    assert read_log(log, "x_") == {shape("cases", {"community_id": "$eq"})}
