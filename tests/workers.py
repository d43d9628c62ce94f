"""How `make test`'s workers share the tests (pytest-xdist, `--dist loadgroup`).

xdist hands each group of tests to one worker, which runs them in the order collected;
the groups go out in that order too (`--no-loadscope-reorder`), longest first here. Each
worker has its own broker vhost and users, database prefix and ports (tests/conftest.py,
tests/ports.py) and, once a test asks for it, its own e2e stack (tests/e2e/conftest.py).

The groups (`group_of`):
- The e2e modules on the session `stack` form STACK_GROUPS, about two minutes each: a
  worker that takes one starts a stack for it. A test parametrized by the group's name
  (the store-query audit, tests/e2e/test_zz_store_queries.py) runs last in it, on the
  same worker: it reads that stack's query log once every test of the group has run, so
  every query of every group is checked whichever worker ran it. An e2e module not named
  here is on the stack and goes with cases' flows.
- The console's browser tests (tests/e2e/console/) are one group: their package fixtures,
  a stack and a browser, are made once.
- Every other module is a group of its own, so its module fixtures are made once.

The order: the stack groups, then the e2e modules on servers of their own (the longest),
then the rest as collected. Run without xdist (`pytest` alone), the same order holds, in
one process and one stack.

The groups are computed from test ids by this module's scheduler: the `xdist_group`
marker of pytest-xdist 3.8 is lost on pytest 9.2, whose test ids can no longer be renamed.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

E2E = PurePosixPath("tests/e2e")
# the browser tests of the console: one group, whose modules share one stack and browser
CONSOLE = E2E / "console"
STACK_GROUPS = ("e2e-stack-cases", "e2e-stack-others")
# roster's, notify's, metrics' and estate's flows and the replicas: about 126 s serially on
# the 2-core machine (before estate's), against about 131 s for cases' flows, access and faults
OTHERS = frozenset(
    {
        "test_estate_fund.py",
        "test_estate_property.py",
        "test_estate_pact.py",
        "test_estate_register.py",
        "test_metrics_stats.py",
        "test_notify_flow.py",
        "test_prometheus_server.py",
        "test_replicas.py",
        "test_roster_dispatch.py",
        "test_roster_hours.py",
        "test_roster_registry.py",
    }
)
# e2e modules on processes and servers of their own, not on the session stack
OWN_SERVERS = frozenset(
    {
        "test_bench_smoke.py",
        "test_notify_delivery.py",
        "test_notify_faults.py",
        "test_notify_links.py",
        "test_outages.py",
        "test_simulate.py",
    }
)


def group_of(nodeid: str) -> str:
    """The group of a test, by its id: a stack group, or its module's path."""
    path, _, name = nodeid.partition("::")
    module = PurePosixPath(path)
    audited = [group for group in STACK_GROUPS if name.endswith(f"[{group}]")]
    if audited:
        return audited[0]
    if module.parent == E2E and module.name not in OWN_SERVERS:
        return STACK_GROUPS[1] if module.name in OTHERS else STACK_GROUPS[0]
    if module.parent == CONSOLE:
        return str(CONSOLE)
    return path


def rank(item: pytest.Item) -> tuple[int, bool]:
    """Where a test goes: the stack groups first, each closed by its audit, then the other
    e2e modules, then the rest."""
    group = group_of(item.nodeid)
    if group in STACK_GROUPS:
        return STACK_GROUPS.index(group), item.nodeid.endswith(f"[{group}]")
    return len(STACK_GROUPS) + (PurePosixPath(group).parent != E2E), False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    off_stack = {
        item.path.name
        for item in items
        if "stack" in item.fixturenames and group_of(item.nodeid) not in STACK_GROUPS
    }
    if off_stack:  # its queries would escape the audit
        raise pytest.UsageError(
            f"{', '.join(sorted(off_stack))} use the e2e stack: take them out of "
            "OWN_SERVERS in tests/workers.py"
        )
    items.sort(key=rank)  # stable: within a rank, the order collected


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's, when it is installed
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadgroup` with the groups of `group_of`."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)
