"""An action link shown and confirmed (app/action_links.py), on the in-memory store: the
page shows what the message said and changes nothing; the confirmation acts once."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from lianxin.access.person_access import PersonAccess
from services.notify.app import action_links, reactions, replicas
from services.notify.domain.links import CasesUnavailable, LinkRevoked, LinkUsed, Unconfirmed
from tests.notify.app.conftest import COMMUNITY, dispatched, person_changed

ACCESS = PersonAccess("p-1", COMMUNITY, ("volunteer",), True, 1)


def people(person_id: str) -> PersonAccess | None:
    return ACCESS if person_id == "p-1" else None


@pytest.fixture
def accept(store, outbound, receivers, now) -> str:
    """The token of the accept link the volunteer's SMS carried."""
    replicas.apply_person(store, person_changed("p-1", [("sms", "13912345678")]).payload)
    reactions.on_case_event(store, outbound, dispatched("p-1"), now)
    [(_, message, _)] = receivers["sms"].sent
    return urlsplit(message.links["accept"]).path.rsplit("/", 1)[-1]


class Cases:
    """cases.perform_action as the link calls it: answers `answer`, keeps the calls."""

    def __init__(self, answer=None):
        self.calls: list[tuple] = []
        self.answer = answer

    def __call__(self, *call):
        self.calls.append(call)
        if self.answer is None:
            raise CasesUnavailable("The cases service did not answer.")
        return self.answer


def test_a_link_s_page_shows_the_case_as_its_message_told_it(store, outbound, accept, now):
    shown = action_links.preview(store, outbound, people, accept, now)
    assert (shown["action"], shown["case"], shown["category"]) == (
        "accept",
        "NT-20261121-0001",
        "楼道灯坏",
    )
    assert shown["used"] is False and shown["confirm"]


def test_a_link_acts_once_with_its_confirmation(store, outbound, accept, now):
    confirmation = action_links.preview(store, outbound, people, accept, now)["confirm"]
    with pytest.raises(Unconfirmed):
        action_links.confirm(store, outbound, people, accept, "forged", Cases(), now)
    cases = Cases({"ok": True, "state": "accepted", "number": "NT-20261121-0001"})
    done = action_links.confirm(store, outbound, people, accept, confirmation, cases, now)
    assert (done["ok"], done["state"]) == (True, "accepted") and "resolve" in done["links"]
    assert [call[:3] for call in cases.calls] == [("LX-1", "accept", "p-1")]
    with pytest.raises(LinkUsed):
        action_links.confirm(store, outbound, people, accept, confirmation, cases, now)
    with pytest.raises(LinkUsed):
        action_links.preview(store, outbound, people, accept, now)
    assert len(cases.calls) == 1


def test_a_link_may_be_used_again_when_cases_did_not_answer(store, outbound, accept, now):
    confirmation = action_links.preview(store, outbound, people, accept, now)["confirm"]
    with pytest.raises(CasesUnavailable):
        action_links.confirm(store, outbound, people, accept, confirmation, Cases(), now)
    assert action_links.preview(store, outbound, people, accept, now)["used"] is False


def test_a_link_of_a_person_whose_access_changed_since_is_refused(store, outbound, accept, now):
    changed = PersonAccess(
        "p-1", COMMUNITY, ("volunteer",), True, 2, datetime(2026, 11, 22, tzinfo=UTC)
    )
    with pytest.raises(LinkRevoked):
        action_links.preview(store, outbound, lambda _: changed, accept, now)
