"""Every consumer is bound to events its source's contract declares, and reads each event
it is bound to by name with that contract's schema, at a version the source emits; and
every reading a service declares is of an event one of its queues receives. Plain Python:
the service classes' declarations and the contracts, no I/O.
"""

from __future__ import annotations

import pytest

from lianxin.bus.topology import topic_matches
from lianxin.contracts.cases import CASE_STATES
from scripts.stack import SERVICES
from services.cases.domain.case import STATES
from tests.contracts.catalogue import CONTRACTS, bindings, service_reads


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_binding_names_events_of_its_sources_contract_and_its_reader_reads_them(service):
    for method, sources, reader in bindings(service):
        for source in sources:
            contract = CONTRACTS.get(source.service)
            assert contract is not None, f"{service}.{method}: {source.service} emits nothing"
            matched = {t for t in contract.types if topic_matches(source.pattern, t)}
            assert matched, f"{service}.{method}: {source} matches no event of the contract"
            read = {t for t in matched if (t, 1) in reader.readings}
            if "*" in source.pattern or "#" in source.pattern:
                assert read, f"{service}.{method} reads none of {source}"
            else:
                assert read == {source.pattern}, f"{service}.{method} does not read {source}"
            for event_type in read:
                reading = reader.readings[(event_type, 1)]
                assert reading.source == source.service
                assert reading.schema is contract.schema(event_type, 1)


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_event_a_service_reads_reaches_one_of_its_queues(service):
    reads = service_reads(service)
    bound = [(source, reader) for _, sources, reader in bindings(service) for source in sources]
    for (event_type, _), reading in (reads.readings if reads else {}).items():
        assert any(
            reader is reads
            and source.service == reading.source
            and topic_matches(source.pattern, event_type)
            for source, reader in bound
        ), f"{service} reads {reading.source}'s {event_type}, which no queue of it receives"


def test_the_lifecycle_reaches_exactly_the_states_the_contract_names():
    assert set(CASE_STATES) == STATES
