"""Every contract, and every reader each service's consumers read through: what the
contract tests hold together (no I/O; the service classes are imported, not run)."""

from __future__ import annotations

import importlib

from lianxin.access.replicas import KEY_CHANGES, PERSON_ACCESS
from lianxin.bus.consumer import Source
from lianxin.bus.topology import consumers, topic_matches
from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Contract, Reader
from lianxin.contracts.estate import ESTATE
from lianxin.contracts.notify import NOTIFY
from lianxin.contracts.roster import ROSTER
from scripts.stack import SERVICES, service_classes

CONTRACTS: dict[str, Contract] = {
    contract.source: contract for contract in (CASES, ROSTER, NOTIFY, ESTATE)
}

# The access replicas every service mixes in (lianxin.access.replicas), by handler name;
# every other consumer of a service reads through its events.py's READS.
ACCESS_READERS = {"on_person_access_changed": PERSON_ACCESS, "on_api_key_changed": KEY_CHANGES}


def emitted(service: str) -> frozenset[str]:
    """The event types a service publishes: its contract's (metrics publishes none)."""
    contract = CONTRACTS.get(service)
    return contract.types if contract else frozenset()


def service_reads(service: str) -> Reader | None:
    return getattr(importlib.import_module(f"services.{service}.events"), "READS", None)


def bindings(service: str) -> list[tuple[str, list[Source], Reader]]:
    """Each event consumer of the service: its handler's name, the sources its queue is
    bound to, and the reader its handler reads through."""
    found = []
    for method, consumer in consumers(service_classes()[service]):
        if consumer.sources():  # a deadline handler is bound to no exchange
            reader = ACCESS_READERS.get(method) or service_reads(service)
            assert reader is not None, f"{service}.{method} reads no events.py READS"
            found.append((method, consumer.sources(), reader))
    return found


def readers_of(source: str, event_type: str) -> list[tuple[str, Reader]]:
    """Every consumer that receives this event (bound to it) and reads it: `service.handler`,
    and the reader it reads through."""
    found = []
    for service in SERVICES:
        for method, sources, reader in bindings(service):
            bound = any(
                s.service == source and topic_matches(s.pattern, event_type) for s in sources
            )
            if bound and (event_type, 1) in reader.readings:
                found.append((f"{service}.{method}", reader))
    return found
