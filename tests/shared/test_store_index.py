"""By-`_id` access uses the `_id` index on the embedded store (the patched FerretDB).

The repositories' hot path is an aggregate change: lease insert, load, fenced
write, lease release. These tests record every filter such a change sends
(pymongo command monitoring) and prove, for each, that FerretDB serves it from the
index: `explain` for the query step every find, update, replace and delete starts
with, and SQLite's own query plan for the UPDATE and DELETE statements FerretDB's
SQLite backend then runs by `_id` (its `explain` covers only find).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pymongo import MongoClient, monitoring

from lianxin.bus.envelope import Envelope
from lianxin.config import Settings
from lianxin.store.aggregates import AggregateStore
from lianxin.store.engine import ConditionalWrites, Engine
from lianxin.store.lease import Leases
from lianxin.store.repository import build_context, ensure_indexes
from tests.conftest import MONGO_URI

pytestmark = pytest.mark.integration

# the statements of internal/backends/sqlite/collection.go, with the patched `_id` path
UPDATE_BY_ID = "UPDATE {table} SET _ferretdb_sjson = ? WHERE _ferretdb_sjson->'_id' = ?"
DELETE_BY_ID = "DELETE FROM {table} WHERE _ferretdb_sjson->'_id' IN (?)"


class Filters(monitoring.CommandListener):
    """The filters of every find, update and delete, as sent."""

    def __init__(self):
        self.sent: list[tuple[str, str, dict]] = []

    def started(self, event):
        command = event.command
        name = event.command_name
        if name == "find":
            self.sent.append((name, command["find"], command.get("filter", {})))
        elif name in ("update", "delete"):
            key = "updates" if name == "update" else "deletes"
            for statement in command[key]:
                self.sent.append((name, command[name], statement["q"]))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def recorded(test_db):
    filters = Filters()
    client = MongoClient(MONGO_URI, event_listeners=[filters], tz_aware=True)
    db = client[test_db.name]
    yield db, filters
    client.close()


def change_twice(db) -> None:
    """What every command on an aggregate does: create it, then change it."""
    writes = ConditionalWrites(Engine.detect(db))
    store = AggregateStore(db["cases"], Leases(db["leases"], writes, 10), writes, lambda m: None)
    for value in (1, 2):
        with store.change("LX-0001") as change:
            event = Envelope("case.changed", {"value": value}, correlation_id="index-test")
            change.save({"_id": "LX-0001", "value": value}, [event])


def test_every_filter_of_an_aggregate_change_is_a_lone_id(recorded):
    db, filters = recorded
    change_twice(db)
    assert filters.sent, "the change sent no filter at all"
    for name, collection, query in filters.sent:
        assert list(query) == ["_id"] and isinstance(query["_id"], str), (name, collection, query)


def test_ferretdb_serves_each_of_those_filters_from_the_id_index(recorded):
    db, filters = recorded
    if Engine.detect(db).name != "ferretdb":
        pytest.skip("explain's SQLite plan is FerretDB's; MongoDB has its own _id index")
    change_twice(db)
    for name, collection, query in filters.sent:
        plan = db.command("explain", {"find": collection, "filter": query})["queryPlanner"]
        line = " ".join(plan["Plan"])
        assert "SEARCH" in line and "USING INDEX" in line and "__id_" in line, (name, line)
        assert "SCAN" not in line, (name, line)


def test_sqlite_runs_ferretdbs_update_and_delete_by_id_through_the_index(recorded, test_db):
    db, _ = recorded
    if Engine.detect(db).name != "ferretdb":
        pytest.skip("the SQLite plans are FerretDB's")
    # the SQLite backend builds its statements from this constant; an unpatched build
    # has `->'$._id'` there (the MySQL backend keeps that one either way)
    binary, data = serving_ferretdb(urlsplit(MONGO_URI).port or 27017)
    assert b"_ferretdb_sjson->'_id'" in binary.read_bytes()
    change_twice(db)
    path = data / f"{test_db.name}.sqlite"
    assert path.exists(), f"FerretDB keeps {test_db.name} in {path}"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as sqlite:
        (table,) = sqlite.execute(
            "SELECT table_name FROM _ferretdb_collections WHERE name = 'cases'"
        ).fetchone()
        for statement in (UPDATE_BY_ID, DELETE_BY_ID):
            plan = " ".join(
                str(row[-1])
                for row in sqlite.execute(
                    f"EXPLAIN QUERY PLAN {statement.format(table=table)}",
                    ("x", "x")[: statement.count("?")],
                )
            )
            assert "USING INDEX" in plan and f"{table}__id_" in plan, (statement, plan)


def serving_ferretdb(port: int) -> tuple[Path, Path]:
    """The binary and SQLite directory of the FerretDB listening on `port`, read from its
    command line: it may be another checkout's (`make infra` reuses a running server)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
            name = (cmdline.parent / "exe").resolve(strict=True).name
        except OSError:
            continue  # gone, or not ours to read
        options = dict(arg.split("=", 1) for arg in argv if arg.startswith("--") and "=" in arg)
        if name.startswith("ferretdb") and options.get("--listen-addr", "").endswith(f":{port}"):
            sqlite_url = urlsplit(options["--sqlite-url"])
            # /proc/<pid>/exe reads the running binary, even one rebuilt since it started
            return cmdline.parent / "exe", Path(unquote(sqlite_url.path))
    pytest.fail(f"no FerretDB with --listen-addr …:{port} among this machine's processes")


class Listing:
    """A repository with one listing index."""

    def __init__(self, db):
        self.db = db

    def ensure_indexes(self) -> None:
        self.db["items"].create_index([("community_id", 1), ("at", -1)])


@pytest.mark.parametrize("engine", ["ferretdb", "mongodb"])
def test_secondary_indexes_are_made_only_where_the_engine_reads_them(
    engine, mongo_client, db_prefix, amqp_uri
):
    """FerretDB would maintain them on every write and read none; MongoDB plans with them."""
    settings = Settings(
        service="indexes", amqp_uri=amqp_uri, mongo_db_prefix=db_prefix, mongo_engine=engine
    )
    context = build_context(settings, {}, mongo_client)
    context.db["items"].insert_one({"_id": "a"})
    context.db["leases"].insert_one({"_id": "items:a"})
    try:
        ensure_indexes(context, Listing(context.db))
        made = {
            name
            for collection in ("items", "leases")
            for name in context.db[collection].index_information()
        }
    finally:
        mongo_client.drop_database(context.db.name)
    if engine == "ferretdb":
        assert made == {"_id_"}
    else:
        assert made == {"_id_", "community_id_1_at_-1", "collection_1"}
