"""Who sees a private case's details (domain/disclosure.py)."""

from __future__ import annotations

from dataclasses import replace

from services.cases.domain.disclosure import Viewer, sees_details
from tests.cases.factories import triaged


def test_a_private_cases_details_are_for_officials_and_its_assignee_only():
    dispute = replace(triaged(category="dispute.family"), private=True, assignee="p-vol-1")
    assert sees_details(dispute, Viewer("p-vol-1", "volunteer"))
    for role in ("staff", "grid_leader", "grid_worker"):
        assert sees_details(dispute, Viewer("p-official", role))
    assert not sees_details(dispute, Viewer("p-vol-2", "volunteer"))
    assert not sees_details(dispute, Viewer("p-unit", "unit_leader"))
    assert sees_details(dispute, Viewer(None, None))  # the key of the channel that reported


def test_every_reader_sees_a_public_cases_details():
    assert sees_details(triaged(), Viewer("p-vol-2", "volunteer"))
