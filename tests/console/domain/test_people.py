"""Who may sign in, as what, and how a phone number is written and kept."""

from __future__ import annotations

from services.console.domain.phones import normalized, phone_digest
from services.console.domain.queue import triage_order
from services.console.domain.staff import StaffMember, sms_number

PAYLOAD = {
    "person_id": "p-1",
    "community_id": "jx",
    "display_name": "王小明",
    "roles": ["grid_worker", "volunteer"],
    "home_grids": ["g1"],
    "active": True,
    "person_version": 2,
}


def test_phone_numbers_are_written_one_way():
    for written in ("13807310700", "138-0731-0700", "+86 138 0731 0700", "１３８０７３１０７００"):
        assert normalized(written) == "13807310700"
    assert normalized("12345") is None
    assert normalized("010-12345678") is None


def test_a_phone_is_kept_as_a_keyed_digest():
    digest = phone_digest("secret-a", "13807310700")
    assert "13807310700" not in digest
    assert digest != phone_digest("secret-b", "13807310700")


def test_the_widest_console_role_and_its_scope():
    member = StaffMember.from_payload(PAYLOAD, None)
    assert member.display_name == "王**"
    assert member.console_role == "grid_worker"
    assert member.scope("grid_worker").grids == {"g1"}
    staff = StaffMember.from_payload({**PAYLOAD, "roles": ["grid_leader", "staff"]}, None)
    assert staff.console_role == "staff" and staff.scope("staff").grids is None


def test_a_volunteer_signs_in_as_one_unless_they_hold_a_wider_role():
    volunteer = StaffMember.from_payload({**PAYLOAD, "roles": ["volunteer"]}, None)
    assert volunteer.console_role == "volunteer"
    both = StaffMember.from_payload({**PAYLOAD, "roles": ["volunteer", "grid_worker"]}, None)
    assert both.console_role == "grid_worker"


def test_inactive_people_and_residents_may_not_sign_in():
    assert StaffMember.from_payload({**PAYLOAD, "active": False}, None).console_role is None
    assert StaffMember.from_payload({**PAYLOAD, "roles": ["resident"]}, None).console_role is None


def test_the_code_goes_to_the_first_sms_contact():
    contacts = [{"channel": "wecom", "address": "x"}, {"channel": "sms", "address": "138"}]
    assert sms_number(contacts) == "138"
    assert sms_number([]) is None


def test_emergencies_lead_the_triage_queue_then_the_oldest():
    cases = [
        {"id": "a", "reported_at": "2026-03-06T01:00:00Z", "emergency": None},
        {"id": "b", "reported_at": "2026-03-06T03:00:00Z", "emergency": {"call": "119"}},
        {"id": "c", "reported_at": "2026-03-06T00:30:00Z", "emergency": None},
    ]
    assert [case["id"] for case in triage_order(cases)] == ["b", "c", "a"]
