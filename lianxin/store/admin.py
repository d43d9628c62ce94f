"""A service's store opened by an operator's command, outside the service's process.

The commands that change a service's data (keys, a roster import, a metrics rebuild)
write to its database and publish nothing: the events their changes cause are left in
the outbox (lianxin.bus.outbox.leave_to_service), and the service's own sweep publishes
them as the service's broker user, the only one allowed on its exchange. A command
returns once it has, so that what the operator does next finds the change everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lianxin.bus.outbox import leave_to_service
from lianxin.config import Settings, service_config
from lianxin.store.database import connect
from lianxin.store.repository import StoreContext, build_context

Say = Callable[[str], None]  # where progress goes: a console's print (rich markup allowed)


@contextmanager
def service_context(service: str, say: Say) -> Iterator[StoreContext]:
    """A service's store context, opened as the service opens it, whose changes leave
    their events to the service's own relay; done once the service has published them."""
    config = service_config(service)
    settings = Settings.from_config(service, config)
    client = connect(settings)
    try:
        context = build_context(settings, config, client, publish=leave_to_service)
        yield context
        await_published(context, service, say)
    finally:
        client.close()


def await_published(context: StoreContext, service: str, say: Say, timeout: float = 60.0) -> None:
    """Return once the service's own sweep has published what the command changed (no
    lease is left behind), so that what an operator does next (use a new key at another
    service, report in an imported grid) finds it there; after `timeout`, say so."""
    deadline = time.monotonic() + timeout
    waiting = False
    while left := len(context.leases.stale()):
        if time.monotonic() > deadline:
            say(f"[yellow]{service} has not yet published {left} change(s)[/]: it will")
            say(f"once it runs (is {service} running?)")
            return
        if not waiting:
            say(f"waiting for {service} to publish what this changed ({left})…")
            waiting = True
        time.sleep(0.2)
