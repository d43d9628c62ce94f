"""The import graph of lianxin, services and scripts: no circles, and the rooms' directions:
every service has the same rooms, rules and use cases touch no framework, only a store
speaks Mongo.

Read statically (ast), so every import counts: at the top of a module, inside a function,
under `if TYPE_CHECKING:`. A circle hidden in a function or a type check is a circle
still: the two modules cannot be understood, tested or moved one without the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lianxin", "services", "scripts")


def module_files() -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = module_files()


def imported(name: str, path: Path) -> Iterator[str]:
    """The dotted names a module imports, relative imports resolved; `from a import b`
    names `a.b` when that is a module, `a` otherwise."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of the packages it imports (others, such as pymongo, left out)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = set()
        for target in imported(name, path):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_takes_part_in_an_import_circle():
    assert circles(import_graph()) == []


def test_no_service_and_nothing_shared_imports_scripts():
    reaching_up = {
        (name, target)
        for name, targets in import_graph().items()
        if not name.startswith("scripts")
        for target in targets
        if target.startswith("scripts")
    }
    assert reaching_up == set()


def test_no_service_imports_another_service():
    crossing = {
        (name, target)
        for name, targets in import_graph().items()
        if name.startswith("services.")
        for target in targets
        if target.startswith("services.") and target.split(".")[1] != name.split(".")[1]
    }
    assert crossing == set()


def test_nothing_shared_imports_a_service():
    assert {
        (name, target)
        for name, targets in import_graph().items()
        if name.startswith("lianxin")
        for target in targets
        if target.startswith("services")
    } == set()


SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/service.py"))
# What rules and use cases must not touch: the framework, the drivers, the network
FRAMEWORK = ("nameko", "pymongo", "bson", "kombu", "amqp", "eventlet", "werkzeug", "requests")


def third_party(name: str) -> set[str]:
    """The top-level packages a module imports that are not the project's own."""
    return {
        target.split(".")[0] for target in imported(name, MODULES[name])
    } - {"lianxin", "services", "scripts", "tests"}


def in_room(service: str, room: str) -> list[str]:
    return [name for name in MODULES if name.startswith(f"services.{service}.{room}.")]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_rooms(service):
    folder = ROOT / "services" / service
    assert {"service.py", "compose.py", "store.py", "events.py"} <= {
        path.name for path in folder.iterdir()
    }
    assert all((folder / room / "__init__.py").exists() for room in ("domain", "app", "http"))


@pytest.mark.parametrize("service", SERVICES)
def test_rules_and_use_cases_use_no_framework_driver_or_network(service):
    """domain/ and app/ are plain Python: testable without a broker, a database or nameko."""
    touching = {
        (name, package)
        for name in in_room(service, "domain") + in_room(service, "app")
        for package in third_party(name) & set(FRAMEWORK)
    }
    assert touching == set()


@pytest.mark.parametrize("service", SERVICES)
def test_rules_import_nothing_of_their_service_but_rules(service):
    graph = import_graph()
    reaching_out = {
        (name, target)
        for name in in_room(service, "domain")
        for target in graph[name]
        if target.startswith(f"services.{service}.")
        and not target.startswith(f"services.{service}.domain")
    }
    assert reaching_out == set()


def test_only_a_services_store_speaks_mongo():
    speaking = {
        name
        for name in MODULES
        if name.startswith("services.") and third_party(name) & {"pymongo", "bson"}
    }
    # a store may speak it only through lianxin.store (the console's: every read by `_id`)
    assert speaking <= {f"services.{service}.store" for service in SERVICES}


# The check itself, on made-up graphs and modules


def test_a_circle_of_two_or_three_modules_is_found_and_a_chain_is_not():
    assert circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from lianxin.store import lease", {"lianxin.store.lease"}),
        ("from lianxin.store.lease import Leases", {"lianxin.store.lease"}),
        ("import lianxin.config", {"lianxin.config"}),
        ("def f():\n    from lianxin.http import openapi", {"lianxin.http.openapi"}),
        ("if TYPE_CHECKING:\n    from lianxin.bus import envelope", {"lianxin.bus.envelope"}),
        ("from . import lease", {"lianxin.store.lease"}),
        ("from .lease import Leases", {"lianxin.store.lease"}),
        ("from ..bus import outbox", {"lianxin.bus.outbox"}),
    ],
)
def test_every_kind_of_import_is_read(tmp_path, source, expected):
    module = tmp_path / "aggregates.py"
    module.write_text(source + "\n", encoding="utf-8")
    assert set(imported("lianxin.store.aggregates", module)) == expected
