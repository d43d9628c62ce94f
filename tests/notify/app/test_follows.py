"""What notify keeps of a case for its residents (app/follows.py), on the in-memory store:
a redelivered event changes nothing, and a merged case hands its reporters over."""

from __future__ import annotations

from services.notify.app import follows, reactions
from tests.notify.app.conftest import case_event

CONSENTED = {"consent": True, "phone": "13800000000"}


def test_a_redelivered_report_is_applied_once(store):
    reported = case_event("case.reported", contact=CONSENTED)
    first = follows.follow(store, reported)
    assert follows.follow(store, reported)["contact"] == first["contact"] == CONSENTED
    assert store.follows.get("LX-1")["contact"] == CONSENTED


def test_a_merged_case_s_reporter_follows_the_case_it_joined(store, outbound, receivers, now):
    reactions.on_case_event(store, outbound, case_event("case.reported", "LX-1"), now)
    reactions.on_case_event(
        store, outbound, case_event("case.reported", "LX-2", contact=CONSENTED), now
    )
    merged = case_event("case.merged", "LX-2", into_case_id="LX-1", into_number="NT-20261121-0001")
    reactions.on_case_event(store, outbound, merged, now)
    assert [d.kind for d, _, _ in receivers["sms"].sent] == ["progress.merged"]
    assert store.follows.get("LX-2")["contact"] is None, "told for the last time, let go"
    assert set(store.follows.get("LX-1")["followers"]) == {"LX-2"}
    reactions.on_case_event(store, outbound, case_event("case.resolved", "LX-1"), now)
    assert [d.kind for d, _, _ in receivers["sms"].sent][-1] == "progress.resolved"
