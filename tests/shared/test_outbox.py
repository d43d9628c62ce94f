"""The in-document outbox and the applied-events record (docs/architecture.md rules 3 and 4)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lianxin.bus.envelope import Envelope
from lianxin.bus.outbox import OUTBOX, pending
from lianxin.store.idempotency import APPLIED, already_applied, record_applied


def event(type_: str = "case.accepted", **payload) -> Envelope:
    return Envelope(type_, payload, correlation_id="corr-1", case_id="C-1")


# The outbox


def test_pending_of_no_document_or_no_outbox_is_empty():
    assert pending(None) == []
    assert pending({"_id": "C-1"}) == []


def test_pending_is_a_copy():
    document = {"_id": "C-1", OUTBOX: [event(n=1).to_message()]}
    pending(document).clear()
    assert len(pending(document)) == 1


# Applied events


def test_nothing_is_applied_to_a_missing_document():
    assert not already_applied(None, "E-1")
    assert not already_applied({}, "E-1")


def test_a_recorded_event_is_recognised_and_others_are_not():
    document = record_applied({"_id": "C-1"}, "E-1")
    assert already_applied(document, "E-1")
    assert not already_applied(document, "E-2")


def test_recording_leaves_the_original_document_untouched():
    original = {"_id": "C-1", APPLIED: ["E-1"]}
    record_applied(original, "E-2")
    assert original == {"_id": "C-1", APPLIED: ["E-1"]}


@given(st.lists(st.sampled_from(["E-1", "E-2", "E-3", "E-4"]), max_size=20))
def test_redelivered_events_are_recorded_once_in_first_seen_order(event_ids):
    document: dict = {"_id": "C-1"}
    for event_id in event_ids:
        document = record_applied(document, event_id)
    assert document.get(APPLIED, []) == list(dict.fromkeys(event_ids))
    assert all(already_applied(document, event_id) for event_id in event_ids)


def test_only_the_last_ids_are_kept_so_the_record_stays_small():
    document: dict = {"_id": "C-1"}
    for number in range(30):
        document = record_applied(document, f"E-{number}", keep=20)
    assert document[APPLIED] == [f"E-{number}" for number in range(10, 30)]
    assert already_applied(document, "E-29") and not already_applied(document, "E-9")
