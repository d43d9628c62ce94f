"""The actions on a case as use cases (app/actions.py), on the in-memory store: one read
of the case under its lease, by id or readable number, never another community's; a
staff merge; and the signed links' answers as data."""

from __future__ import annotations

import pytest

from services.cases.app import actions
from services.cases.domain import lifecycle
from services.cases.domain.areas import UnknownArea
from services.cases.domain.case import (
    MAX_REQUESTS,
    CaseNotFound,
    InvalidTransition,
    RequestKeyReused,
)
from services.cases.domain.intake import Report
from services.cases.domain.photos import Uploader
from services.cases.http.actions import CASE_ACTIONS, Asked
from tests.cases.factories import AT, OFFER, REPORTER, STAFF, VOLUNTEER

EVERYWHERE = lambda _: True  # noqa: E731 - a key that covers every community


def opened(parts, description: str = "5栋2单元楼道灯坏了", area_code: str = "e1-b5-u2", **fields):
    report = Report(
        community_id="jingxiang",
        description=description,
        channel="hotline",
        location={"grid_id": "g1", "area_code": area_code},
        **fields,
    )
    return parts.intake.report(report, REPORTER, EVERYWHERE, None, "corr-1", AT)[0]


def offered(parts, case):
    def decide(current, at):
        return lifecycle.dispatch(current, OFFER, at)

    return actions.act(parts.store, case.id, EVERYWHERE, None, AT, decide)


def test_an_action_reads_the_case_once_under_its_lease_and_keeps_its_correlation(
    parts, published, monkeypatch
):
    case = offered(parts, opened(parts))
    reads = []
    monkeypatch.setattr(parts.store, "get", lambda case_id: reads.append(case_id))
    accepted = actions.act(
        parts.store,
        case.number,
        EVERYWHERE,
        None,
        AT,
        lambda current, at: lifecycle.accept(current, VOLUNTEER, at),
    )
    assert accepted.state == "accepted" and reads == [], "read under the lease, not before"
    assert published.events[-1]["type"] == "case.accepted"
    assert published.events[-1]["correlation_id"] == "corr-1", "the intake's correlation"


def test_a_case_of_another_community_or_none_is_not_found(parts):
    case = opened(parts)
    with pytest.raises(CaseNotFound):
        actions.act(parts.store, case.id, lambda c: c != "jingxiang", None, AT, lifecycle.accept)
    with pytest.raises(CaseNotFound):
        actions.act(parts.store, "LX-NONE", EVERYWHERE, None, AT, lifecycle.accept)
    with pytest.raises(CaseNotFound):
        actions.act(parts.store, "JX-20260306-9999", EVERYWHERE, None, AT, lifecycle.accept)


def test_staff_merge_a_duplicate_into_the_open_case_it_repeats(parts):
    original = opened(parts)
    elsewhere = opened(parts, "5栋1单元楼道灯不亮", area_code="e1-b5-u1")
    merged = actions.merge(parts.store, elsewhere.id, original.number, STAFF, EVERYWHERE, None, AT)
    assert merged.state == "merged" and merged.merged_into["case_id"] == original.id
    assert parts.store.get(original.id).absorbed == (elsewhere.id,)
    with pytest.raises(InvalidTransition):  # the merged case is no longer open
        actions.merge(parts.store, original.id, elsewhere.id, STAFF, EVERYWHERE, None, AT)


def test_a_signed_link_answers_as_data(parts):
    case = offered(parts, opened(parts))
    refused = actions.perform_action(parts.store, case.id, "accept", "p-other", "volunteer", "", AT)
    assert refused == {
        "ok": False,
        "code": "not_assignee",
        "state": "dispatched",
        "number": case.number,
    }
    done = actions.perform_action(
        parts.store, case.id, "accept", VOLUNTEER.person_id, "volunteer", "", AT
    )
    assert done == {"ok": True, "state": "accepted", "number": case.number}
    unknown = actions.perform_action(parts.store, "LX-NONE", "accept", "p", "volunteer", "", AT)
    assert unknown == {"ok": False, "code": "not_found", "state": None}


def test_an_action_repeated_with_its_idempotency_key_acts_once(parts, published):
    """A form posted twice (or a retry after a lost answer) with the same key: the case
    as it is, no second event; the key for another action is refused."""
    case = opened(parts, "楼梯那边很奇怪", area_code="e1-b5-u1")
    request = {"key": "k-staff:form-1", "action": "note"}

    def note(current, at):
        return lifecycle.add_note(current, STAFF, "已电话联系", (), at)

    first = actions.act(parts.store, case.id, EVERYWHERE, None, AT, note, request)
    again = actions.act(parts.store, case.id, EVERYWHERE, None, AT, note, request)
    assert first == again and [s.action for s in again.timeline].count("note") == 1
    events = len(published.events)
    with pytest.raises(RequestKeyReused):
        actions.act(
            parts.store, case.id, EVERYWHERE, None, AT,
            lambda current, at: lifecycle.reject(current, STAFF, "x", at),
            {"key": "k-staff:form-1", "action": "reject"},
        )  # fmt: skip
    assert parts.store.get(case.id).state == "reported" and len(published.events) == events


def test_a_case_remembers_only_its_latest_keys(parts):
    case = opened(parts, "楼梯那边很奇怪", area_code="e1-b5-u1")
    for index in range(MAX_REQUESTS + 5):
        actions.act(
            parts.store, case.id, EVERYWHERE, None, AT,
            lambda current, at: lifecycle.add_note(current, STAFF, "n", (), at),
            {"key": f"k:{index}", "action": "note"},
        )  # fmt: skip
    kept = parts.store.get(case.id).requests
    assert len(kept) == MAX_REQUESTS and kept[-1]["key"] == f"k:{MAX_REQUESTS + 4}"


def triage_asked(parts, case, location) -> Asked:
    body = {"category": "facility.lighting"} | ({"location": location} if location else {})
    return Asked(
        parts=parts, reference=case.id, by=STAFF, body=body, visible=EVERYWHERE,
        correlation_id=None, now=AT, person=lambda _: None, uploader=Uploader("key", None),
    )  # fmt: skip


TRIAGE = next(action for action in CASE_ACTIONS if action.path == "triage")


def test_triage_places_a_case_by_the_communitys_areas_and_refuses_a_place_it_does_not_know(
    parts,
):
    waiting = opened(parts, "楼梯那边很奇怪", area_code=None)
    assert waiting.state == "reported" and waiting.grid_id == "g1"
    for wrong in ({"area_code": "no-such"}, {"grid_id": "g1", "area_code": "e2"}):
        with pytest.raises(UnknownArea):
            TRIAGE.perform(triage_asked(parts, waiting, wrong))
    assert parts.store.get(waiting.id).state == "reported", "nothing changed"
    placed = TRIAGE.perform(triage_asked(parts, waiting, {"grid_id": "g2"}))
    assert (placed.state, placed.grid_id, placed.place) == ("triaged", "g2", "第二网格")
