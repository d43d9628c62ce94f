"""Every event a service emits has a consumer.

Outboxes publish with `mandatory=True`: an event type no queue is bound to is
refused by the broker, and the outbox holding it is retried forever. This
check reads the services' declarations (no I/O), so a new event type without a
consumer fails here instead of piling up in production.
"""

from __future__ import annotations

import importlib

import pytest

from scripts.stack import SERVICES


def service_class(name: str):
    module, _, attribute = SERVICES[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def consumed(name: str) -> set[tuple[str, str]]:
    """(source service, event type) pairs the service's event handlers are bound to."""
    from nameko.events import EventHandler

    cls = service_class(name)
    return {
        (entrypoint.source_service, entrypoint.event_type)
        for attribute in dir(cls)
        for entrypoint in getattr(getattr(cls, attribute), "nameko_entrypoints", ())
        if isinstance(entrypoint, EventHandler)
    }


def emitted(name: str) -> set[str]:
    """The event types with a payload schema in the service that it does not consume itself."""
    schemas = importlib.import_module(f"services.{name}.schemas")
    return schemas.EVENTS.types - {event for _, event in consumed(name)}


@pytest.mark.parametrize("source", list(SERVICES))
def test_every_emitted_event_type_has_a_consumer(source):
    bound = set().union(*(consumed(name) for name in SERVICES if name != source))
    orphans = {event for event in emitted(source) if (source, event) not in bound}
    assert orphans == set(), f"{source} emits {sorted(orphans)} but nothing consumes them"


def test_every_consumed_event_type_is_emitted_by_its_source():
    for name in SERVICES:
        for source, event in consumed(name):
            assert event in emitted(source), f"{name} waits for {source}/{event}, never emitted"
