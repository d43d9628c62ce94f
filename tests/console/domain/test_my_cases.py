"""The assignee's pages' rules (services/console/domain/my_cases.py): the forms offered
against cases' own domain (run, not read) for every state and condition; which cases are
the person's; their list; photos before and after; the bodies sent; the link's form token.
Plain Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.cases.domain import clock_actions, lifecycle
from services.cases.domain.case import By, Case, InvalidRequest, InvalidTransition, NotPermitted
from services.cases.http.schemas import CaseSchema
from services.cases.http.views import case_view
from services.console.domain.my_cases import (
    ACTIONS,
    BadTime,
    action_body,
    actions_for,
    case_ids_to_read,
    grouped,
    link_form_token,
    photos_by_step,
    require_theirs,
    until_from_local,
)
from services.console.domain.queue import NotVisible
from tests.console.domain.test_case_actions import LATER, cases_in_every_condition

ME = "p-vol-1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ATTEMPTS = {
    "accept": lambda c, by: lifecycle.accept(c, by, LATER, ""),
    "decline": lambda c, by: lifecycle.decline(c, by, "在外地", LATER),
    "resolve": lambda c, by: lifecycle.resolve(c, by, "已处理", 0.0, (), LATER),
    "extension": lambda c, by: clock_actions.request_extension(
        c, by, LATER + timedelta(days=30), "等配件", LATER
    ),
}


def cases_would(action: str, case: Case) -> bool:
    by = By(ME, "api", person_id=ME, role="volunteer", key_id="k-console")
    try:
        ATTEMPTS[action](case, by)
    except (InvalidTransition, NotPermitted, InvalidRequest):
        return False
    return True


def test_every_assignee_action_has_an_attempt_here():
    assert set(ATTEMPTS) == set(ACTIONS)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_page_offers_an_action_exactly_when_cases_would_take_it_from_the_assignee(action):
    """But for more time: cases also takes it from an offered volunteer and over one still
    waiting; the page asks it of whoever has the case in hand, once at a time."""
    for made in cases_in_every_condition():
        case = replace(made, assignee=ME)
        offered = action in actions_for(CaseSchema().dump(case_view(case)))
        narrower = action == "extension" and (
            case.state != "accepted" or (case.extension or {}).get("state") == "pending"
        )
        assert offered == (cases_would(action, case) and not narrower), (action, case.state)


def test_a_case_is_theirs_only_while_cases_names_them_its_assignee():
    assert require_theirs({"assignee": ME, "id": "c"}, ME)["id"] == "c"
    for other in ({"assignee": "p-vol-2"}, {"assignee": None}, None):
        with pytest.raises(NotVisible):
            require_theirs(other, ME)


def _step(action: str, attachments: list[str], at: str = "2026-12-06T01:00:00+00:00") -> dict:
    return {"action": action, "attachments": attachments, "at": at}


def test_photos_are_before_when_the_report_bound_them_and_after_when_the_resolve_did():
    case = {
        "attachments": ["photo:ph_report", "https://img.example.cn/x.jpg"],
        "timeline": [_step("report", []), _step("note", ["photo:ph_note"]),
                     _step("resolve", ["photo:ph_done1", "photo:ph_done2"])],
    }  # fmt: skip
    photos = photos_by_step(case)
    assert photos.before == ("photo:ph_report", "https://img.example.cn/x.jpg")
    assert photos.after == ("photo:ph_done1", "photo:ph_done2")


NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _offer(case_id: str, state: str, expires: datetime = NOW + timedelta(minutes=30)) -> dict:
    return {"case_id": case_id, "state": state, "expires_at": expires.isoformat()}


def test_the_list_reads_open_offers_held_cases_and_the_latest_done_each_once():
    offers = [
        _offer("c-open", "open"),
        _offer("c-lapsed", "open", NOW - timedelta(seconds=1)),
        _offer("c-declined", "declined"),
        *[_offer(f"c-acc-{n}", "accepted") for n in range(8)],
    ]
    hours = [{"case_id": "c-by-hand"}, {"case_id": None}, {"case_id": "c-acc-1"}]  # oldest first
    read = case_ids_to_read(offers, ["c-held", "c-acc-0"], hours, NOW)
    assert read == ["c-open", "c-held", "c-acc-0", "c-acc-1", "c-by-hand", "c-acc-2", "c-acc-3"]


def test_the_list_groups_the_person_s_cases_and_drops_those_that_moved_on():
    def case(case_id, state, **more):
        return {"id": case_id, "state": state, "assignee": ME, "timeline": [], **more}

    found = [
        case("a", "dispatched"),
        case("b", "accepted", resolve_by="2026-12-09T00:00:00+00:00"),
        case("c", "accepted", resolve_by="2026-12-07T00:00:00+00:00"),
        case("d", "resolved", timeline=[_step("resolve", [], "2026-12-01T00:00:00+00:00")]),
        case("e", "closed", timeline=[_step("resolve", [], "2026-12-03T00:00:00+00:00")]),
        {**case("f", "dispatched"), "assignee": "p-vol-2"},  # offered on to someone else
    ]
    groups = grouped(found, ME)
    assert [[c["id"] for c in groups[name]] for name in ("offered", "taken", "done")] == [
        ["a"], ["c", "b"], ["e", "d"],
    ]  # fmt: skip


def test_the_extension_s_until_is_read_in_the_community_s_zone():
    evening = until_from_local("2026-12-08T18:00", SHANGHAI)
    assert evening == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    for bad in ("2026-13-08T18:00", "tomorrow", "2026-12-08 18:00"):
        with pytest.raises(BadTime):
            until_from_local(bad, SHANGHAI)


def test_each_form_sends_cases_its_own_body():
    key = {"form_key": "k" * 20, "confirmed": True}
    assert action_body("accept", {**key, "note": ""}, SHANGHAI) == {}
    assert action_body("decline", {**key, "reason": "在外地"}, SHANGHAI) == {"reason": "在外地"}
    resolve = {**key, "resolution": "已处理", "photos": "ph_aaaaaaaaaaaaaaaa ph_bbbbbbbbbbbbbbbb"}
    assert action_body("resolve", resolve, SHANGHAI) == {
        "resolution": "已处理",
        "attachments": ["photo:ph_aaaaaaaaaaaaaaaa", "photo:ph_bbbbbbbbbbbbbbbb"],
    }
    extension = {**key, "until": "2026-12-08T18:00", "reason": "等配件"}
    assert action_body("extension", extension, SHANGHAI) == {
        "until": "2026-12-08T10:00:00+00:00", "reason": "等配件",
    }  # fmt: skip


def test_a_link_s_form_token_is_its_own_and_needs_the_console_s_secret():
    token = link_form_token("console-secret-0123456789", "link-a")
    assert token == link_form_token("console-secret-0123456789", "link-a")
    assert token != link_form_token("console-secret-0123456789", "link-b")
    assert token != link_form_token("another-secret-0123456789", "link-a")
