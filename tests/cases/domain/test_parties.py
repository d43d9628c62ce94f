"""A dispute's parties: each only with their consent, shown masked but to an admin key,
never to whoever may not see a private case's details, and in no event. Plain Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.cases.domain.appointments import NoDesk
from services.cases.domain.case import InvalidRequest, InvalidTransition, NotPermitted
from services.cases.domain.parties import MAX_PARTIES, add_party
from services.cases.http.views import case_view
from services.cases.store import from_document, to_document
from tests.cases.factories import GRID_WORKER, STAFF, TAXONOMY, VOLUNTEER, report

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def dispute():
    return report("邻居吵架，楼上漏水到我家", at=NOW).case


def add(case, by=STAFF, name="王小红", role="applicant", phone="13807310001", consent=True):
    desk = TAXONOMY.desk(case.community_id, case.team)
    return add_party(case, desk, by, name, role, phone, consent, NOW)


def test_a_consenting_party_is_kept_numbered_and_told_nowhere():
    outcome = add(add(dispute()).case, name="李建国", role="respondent", phone=None)
    first, second = outcome.case.parties
    assert (first["id"], first["name"], first["consent_at"]) == ("P1", "王小红", NOW)
    assert (second["id"], second["role"], second["phone"]) == ("P2", "respondent", None)
    assert outcome.facts == ()  # no event carries a party
    step = outcome.case.timeline[-1]
    assert step.action == "party" and step.note == "P2 李** (respondent)"


def test_the_api_masks_them_but_to_admin_and_withholds_them_without_the_details():
    case = add(dispute()).case
    (shown,) = case_view(case)["parties"]
    assert (shown["name"], shown["phone"]) == ("王**", "138****0001")
    assert case_view(case, unmasked=True)["parties"][0]["phone"] == "13807310001"
    assert case_view(case, details=False)["parties"] == []


def test_they_are_stored_and_read_back_as_they_were():
    case = add(dispute()).case
    assert from_document(to_document(case)).parties == case.parties


def test_without_consent_nothing_is_recorded():
    case = dispute()
    with pytest.raises(InvalidRequest) as refused:
        add(case, consent=False)
    assert list(refused.value.details()["fields"]) == ["consent"]
    assert case.parties == ()


def test_at_most_ten_parties():
    case = dispute()
    for _ in range(MAX_PARTIES):
        case = add(case).case
    with pytest.raises(InvalidRequest):
        add(case)


@pytest.mark.parametrize("by", [VOLUNTEER, GRID_WORKER])
def test_a_volunteer_or_grid_worker_not_holding_it_may_not(by):
    with pytest.raises(NotPermitted):
        add(dispute(), by=by)


def test_a_round_the_clock_teams_case_or_a_finished_one_takes_none():
    with pytest.raises(NoDesk):
        add(report("5栋楼道灯坏了", at=NOW).case)
    with pytest.raises(InvalidTransition):
        add(replace(dispute(), state="closed"))
