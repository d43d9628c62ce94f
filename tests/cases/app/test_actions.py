"""The actions on a case as use cases (app/actions.py), on the in-memory store: one read
of the case under its lease, by id or readable number, never another community's; a
staff merge; and the signed links' answers as data."""

from __future__ import annotations

import pytest

from services.cases.app import actions
from services.cases.domain import lifecycle
from services.cases.domain.case import CaseNotFound, InvalidTransition
from services.cases.domain.intake import Report
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
