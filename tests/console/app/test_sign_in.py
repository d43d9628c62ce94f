"""Signing in on the in-memory store: the code reaches only a person who may sign in, the
answer is the same for any number, five wrong tries lock, limits hold, sessions end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lianxin.access.person_access import PersonAccess
from services.console.app import people, sign_in
from services.console.app.sign_in import Asked, Refused
from services.console.domain import limits
from services.console.domain.sessions import IDLE_LIMIT
from tests.console.conftest import SECRET

NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
STAFF_PHONE = "13807310700"
ADDRESS = "10.0.0.7"


class Sender:
    """notify, as the console sees it: records the codes it was asked to send."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send_sign_in_code(self, person_id: str, code: str) -> None:
        self.sent.append((person_id, code))


def person(person_id="p-staff", roles=("staff",), phone=STAFF_PHONE, version=1, **extra):
    return {
        "person_id": person_id,
        "community_id": "jx",
        "display_name": "彭国庆",
        "roles": list(roles),
        "home_grids": ["jx-g2"],
        "contacts": [{"channel": "wecom", "address": "r"}, {"channel": "sms", "address": phone}],
        "active": True,
        "person_version": version,
        **extra,
    }


@pytest.fixture
def store(memory_store):
    people.on_person_changed(memory_store, SECRET, person())
    return memory_store


def ask(store, sender, phone=STAFF_PHONE, address=ADDRESS, at=NOW):
    return sign_in.ask_for_code(store, sender, SECRET, phone, address, at)


def test_a_staff_member_signs_in_with_the_code_sent_to_them(store):
    sender = Sender()
    assert ask(store, sender) is Asked.SENT
    ((person_id, code),) = sender.sent
    assert person_id == "p-staff"
    signed = sign_in.sign_in(store, SECRET, "138 0731 0700", code, ADDRESS, NOW)
    assert signed.session.person_id == "p-staff" and signed.session.role == "staff"
    assert signed.session.scope.grids is None
    assert store.session(signed.session.id_digest) == signed.session


def test_a_code_signs_in_once_and_a_replay_opens_no_second_session(store):
    """A code seen over a shoulder, or sent again by a browser's history, is spent."""
    sender = Sender()
    ask(store, sender)
    ((_, code),) = sender.sent
    first = sign_in.sign_in(store, SECRET, STAFF_PHONE, code, ADDRESS, NOW)
    with pytest.raises(Refused) as replayed:
        sign_in.sign_in(store, SECRET, STAFF_PHONE, code, "10.0.0.8", NOW + timedelta(seconds=5))
    assert replayed.value.outcome == "none"
    assert store.session(first.session.id_digest) == first.session  # the first one stands


def test_a_number_of_nobody_gets_the_same_answer_and_no_message(store):
    sender = Sender()
    assert ask(store, sender, phone="13900000000") is Asked.SENT
    assert sender.sent == []
    with pytest.raises(Refused) as refused:
        sign_in.sign_in(store, SECRET, "13900000000", "123456", ADDRESS, NOW)
    assert refused.value.outcome == "wrong"


def test_a_volunteer_signs_in_as_a_volunteer_of_their_grids(store):
    people.on_person_changed(
        store, SECRET, person("p-vol", ("volunteer",), "13911112222", home_grids=["g2"])
    )
    sender = Sender()
    assert ask(store, sender, phone="13911112222") is Asked.SENT
    assert [person_id for person_id, _ in sender.sent] == ["p-vol"]
    signed = sign_in.sign_in(store, SECRET, "13911112222", sender.sent[-1][1], ADDRESS, NOW)
    assert signed.session.role == "volunteer"
    assert signed.session.scope.grids == {"g2"}


def test_five_wrong_codes_lock_until_a_new_code(store):
    sender = Sender()
    ask(store, sender)
    code = sender.sent[-1][1]
    wrong = "000000" if code != "000000" else "111111"
    outcomes = []
    for _ in range(5):
        with pytest.raises(Refused) as refused:
            sign_in.sign_in(store, SECRET, STAFF_PHONE, wrong, ADDRESS, NOW)
        outcomes.append(refused.value.outcome)
    assert outcomes == ["wrong"] * 4 + ["locked"]
    with pytest.raises(Refused, match="locked"):
        sign_in.sign_in(store, SECRET, STAFF_PHONE, code, ADDRESS, NOW)
    ask(store, sender, at=NOW + timedelta(minutes=1))
    assert sign_in.sign_in(store, SECRET, STAFF_PHONE, sender.sent[-1][1], ADDRESS, NOW)


def test_codes_are_limited_per_number_and_per_address(store):
    sender = Sender()
    answers = [ask(store, sender, address=f"10.0.0.{n}") for n in range(6)]
    assert answers == [Asked.SENT] * limits.CODES_PER_PHONE.count + [Asked.LIMITED]
    numbers = [f"1390000{n:04d}" for n in range(limits.CODES_PER_ADDRESS.count + 1)]
    answers = [ask(store, sender, phone=number, address="10.9.9.9") for number in numbers]
    assert answers[-1] is Asked.LIMITED and answers[:-1] == [Asked.SENT] * (len(numbers) - 1)
    later = NOW + timedelta(hours=1)
    assert ask(store, sender, address="10.9.9.9", at=later) is Asked.SENT


def test_not_a_mobile_number(store):
    assert ask(store, Sender(), phone="12345") is Asked.INVALID


def test_a_session_ends_when_idle_signed_out_or_when_the_person_changes(store):
    sender = Sender()
    ask(store, sender)
    signed = sign_in.sign_in(store, SECRET, STAFF_PHONE, sender.sent[-1][1], ADDRESS, NOW)
    access = PersonAccess("p-staff", "jx", ("staff",), True, 1, NOW - timedelta(days=1))
    seen = sign_in.current(store, signed.session_id, lambda _: access, NOW + timedelta(minutes=5))
    assert seen is not None
    assert sign_in.current(store, "another-id", lambda _: access, NOW) is None
    demoted = replace(access, roles=("volunteer",), access_since=NOW + timedelta(minutes=6))
    later = NOW + timedelta(minutes=7)
    assert sign_in.current(store, signed.session_id, lambda _: demoted, later) is None
    assert store.session(signed.session.id_digest) is None  # removed once ended
    ask(store, sender, at=NOW + timedelta(minutes=8))
    again = sign_in.sign_in(store, SECRET, STAFF_PHONE, sender.sent[-1][1], ADDRESS, NOW)
    idle = NOW + IDLE_LIMIT + timedelta(seconds=1)
    assert sign_in.current(store, again.session_id, lambda _: access, idle) is None
    ask(store, sender, at=NOW + timedelta(minutes=9))
    last = sign_in.sign_in(store, SECRET, STAFF_PHONE, sender.sent[-1][1], ADDRESS, NOW)
    sign_in.sign_out(store, last.session)
    assert sign_in.current(store, last.session_id, lambda _: access, NOW) is None


def test_a_grid_worker_signs_in_to_their_grids(store):
    people.on_person_changed(store, SECRET, person("p-gw", ("grid_worker",), "13922223333"))
    sender = Sender()
    ask(store, sender, phone="13922223333")
    signed = sign_in.sign_in(store, SECRET, "13922223333", sender.sent[-1][1], ADDRESS, NOW)
    assert signed.session.role == "grid_worker"
    assert signed.session.scope.grids == {"jx-g2"}
