"""How cases reacts to roster's events and its own timers (app/reactions.py), on the
in-memory store: each applies once however often it is delivered, a fact that no longer
fits changes nothing, and the area replica keeps the newest version of each node."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lianxin.bus.envelope import Envelope
from lianxin.bus.retry import PermanentError
from services.cases.app import reactions
from services.cases.domain.intake import Report
from tests.cases.factories import AT, OFFER, REPORTER

EVERYWHERE = lambda _: True  # noqa: E731 - a key that covers every community


def opened(parts):
    report = Report(
        community_id="jingxiang",
        description="5栋2单元楼道灯坏了",
        channel="hotline",
        location={"grid_id": "g1", "area_code": "e1-b5-u2"},
    )
    return parts.intake.report(report, REPORTER, EVERYWHERE, None, None, AT)[0]


def offer(case_id: str, **payload) -> Envelope:
    return Envelope("offer.made", {**OFFER, "case_id": case_id, **payload}, "corr-roster", case_id)


def test_an_offer_dispatches_the_case_once_however_often_it_is_delivered(parts, published):
    case = opened(parts)
    event = offer(case.id)
    reactions.record_dispatch(parts.store, event, AT)
    before = published.event_types()
    reactions.record_dispatch(parts.store, event, AT + timedelta(seconds=1))  # redelivered
    stored = parts.store.get(case.id)
    assert stored.state == "dispatched" and stored.assignee == OFFER["person_id"]
    assert published.event_types() == before and before[-1] == "case.dispatched"


def test_the_offer_the_case_holds_dispatches_it_once_whatever_event_carries_it(parts, published):
    """Roster's offer ids are its case:round:attempt: two events with one offer id are one
    offer (a decision repeated by a replica that outran its lease), one dispatch."""
    case = opened(parts)
    reactions.record_dispatch(parts.store, offer(case.id), AT)
    before = published.event_types()
    again = offer(case.id)  # the same offer id, a new event id
    reactions.record_dispatch(parts.store, again, AT + timedelta(seconds=1))
    stored = parts.store.get(case.id)
    assert [step.state for step in stored.timeline].count("dispatched") == 1
    assert published.event_types() == before
    next_offer = offer(case.id, offer_id="OF-NEXT", attempt=2)
    reactions.record_dispatch(parts.store, next_offer, AT + timedelta(seconds=2))
    assert parts.store.get(case.id).offer_id == "OF-NEXT", "another offer still dispatches"


def test_an_expiry_of_an_offer_the_case_no_longer_holds_is_seen_and_changes_nothing(parts):
    case = opened(parts)
    reactions.record_dispatch(parts.store, offer(case.id), AT)
    stale = Envelope(
        "offer.expired", {"case_id": case.id, "offer_id": "OF-OLD", "person_id": "p"}, "c"
    )
    reactions.record_dispatch(parts.store, stale, AT)
    assert parts.store.get(case.id).state == "dispatched"
    with parts.store.change(case.id) as change:
        assert change.applied(stale.event_id)


def test_a_fact_about_an_unknown_case_is_refused_for_good(parts):
    with pytest.raises(PermanentError):
        reactions.record_dispatch(parts.store, offer("LX-NONE"), AT)


def test_a_time_limit_marks_the_case_overdue_once(parts, published):
    case = opened(parts)
    (due,) = [d for d in published.deadlines if d.payload["step"] == "warning"]
    reactions.time_is_up(parts.store, parts.taxonomy, due, AT)
    reactions.time_is_up(parts.store, parts.taxonomy, due, AT)  # redelivered
    assert published.event_types().count("case.warning") == 1
    assert parts.store.get(case.id).warned == (due.payload["which"],)


def test_the_area_replica_keeps_the_newest_version_of_each_node(parts):
    def changed(version: int, name: str) -> Envelope:
        node = {"code": "e3", "kind": "estate", "parent": "g2", "name": name}
        node["community_id"] = "jingxiang"
        return Envelope("area.changed", {"node": node, "area_version": version}, "c")

    assert reactions.record_area(parts.store, changed(3, "新苑"))
    assert not reactions.record_area(parts.store, changed(2, "旧名")), "an older version"
    assert parts.store.areas.get("jingxiang").nodes["e3"].name == "新苑"
