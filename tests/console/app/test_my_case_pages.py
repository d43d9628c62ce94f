"""The assignee's pages (services/console/app/my_cases.py): a case that is not the
person's is not found; a message's link opens only while it stands; every template renders
cases' own view of a case in every condition, and a private case's details, withheld by
cases, are nowhere on the page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lianxin.access.case_pages import CasePageLink, CasePageLinks
from lianxin.access.person_access import PersonAccess
from services.cases.domain.disclosure import Viewer, sees_details
from services.cases.http.schemas import CaseSchema
from services.cases.http.views import case_view
from services.console.app import my_cases
from services.console.app.my_cases import Holder, LinkRefused
from services.console.compose import load_labels, template_environment
from services.console.domain.my_cases import actions_for, photos_by_step
from services.console.domain.queue import NotVisible
from services.console.domain.timeline import said
from tests.console.domain.test_case_actions import cases_in_every_condition

SECRET = "token-secret-0123456789abcdef"
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
ME = "p-vol-1"
ACCESS_ZONE = ZoneInfo("Asia/Shanghai")
ACCESS = PersonAccess(ME, "jingxiang", ("volunteer",), True, 3, NOW - timedelta(days=1))


class Services:
    """The console's client as these pages use it: cases' answers by id, nothing else."""

    def __init__(self, cases: dict[str, dict]):
        self.cases = cases
        self.acted: list[tuple] = []

    def case(self, token, case_id):
        return self.cases.get(case_id)

    def act(self, token, case_id, action, body, key):
        self.acted.append((case_id, action, body, key))
        return self.cases[case_id]


def shown(case, person_id: str = ME) -> dict:
    """Cases' answer to the person's token (domain/disclosure.py decides the details)."""
    details = sees_details(case, Viewer(person_id, "volunteer"))
    return CaseSchema().dump(case_view(case, details=details))


def test_a_case_of_someone_else_is_not_found_and_nothing_is_done_to_it():
    [made, *_] = cases_in_every_condition()
    theirs = shown(replace(made, id="c-2", assignee="p-vol-2"))
    services = Services({"c-2": theirs})
    holder = Holder(services, "token", ME, "jingxiang")
    for attempt in (
        lambda: my_cases.case_page(holder, "c-2"),
        lambda: my_cases.act(holder, "c-2", "accept", {"form_key": "k" * 20}, ACCESS_ZONE),
        lambda: my_cases.photo(holder, "c-2", "ph_x", thumbnail=True),
        lambda: my_cases.case_page(holder, "c-none"),
    ):
        with pytest.raises(NotVisible):
            attempt()
    assert services.acted == []


def _token(issued=NOW - timedelta(hours=1), expires=NOW + timedelta(days=7), person=ME) -> str:
    return CasePageLinks(SECRET).token(CasePageLink(person, "c-1", issued, expires))


def people(access: PersonAccess | None):
    return lambda person_id: access if access and person_id == access.person_id else None


def test_a_link_opens_while_it_stands_in_the_person_s_widest_role():
    link, access, role = my_cases.opened_link(CasePageLinks(SECRET), people(ACCESS), _token(), NOW)
    assert (link.person_id, link.case_id, access, role) == (ME, "c-1", ACCESS, "volunteer")
    leader = replace(ACCESS, roles=("volunteer", "grid_worker"))
    assert my_cases.opened_link(CasePageLinks(SECRET), people(leader), _token(), NOW)[2] == (
        "grid_worker"
    )


@pytest.mark.parametrize(
    "token, access, reason",
    [
        ("not-a-link", ACCESS, "invalid"),
        (CasePageLinks("another-secret-0123456789").token(
            CasePageLink(ME, "c-1", NOW, NOW + timedelta(days=1))), ACCESS, "invalid"),
        (_token(expires=NOW), ACCESS, "expired"),
        (_token(), replace(ACCESS, active=False), "revoked"),
        (_token(), None, "revoked"),  # a person the console never heard of
        (_token(), replace(ACCESS, access_since=NOW - timedelta(minutes=5)), "revoked"),
        (_token(), replace(ACCESS, roles=("resident",)), "revoked"),  # no role of the console
    ],
    ids=["garbage", "other-secret", "expired", "deactivated", "unknown", "access-changed",
         "no-console-role"],
)  # fmt: skip
def test_a_link_that_no_longer_stands_opens_nothing(token, access, reason):
    with pytest.raises(LinkRefused) as refused:
        my_cases.opened_link(CasePageLinks(SECRET), people(access), token, NOW)
    assert refused.value.reason == reason


LABELS = load_labels()
TEMPLATES = template_environment()  # built once: each page below renders dozens of cases


def rendered(template: str, **context) -> str:
    """A page as the console renders it (StrictUndefined: a key cases' view lacks fails)."""
    return TEMPLATES.get_template(template).render(
        lang="zh", html_lang="zh-CN", other_lang="en", zone="Asia/Shanghai", session=None,
        csrf_token="c", action_token="a", path="/", t=lambda key: LABELS.text(key, "zh"),
        term=lambda kind, value: LABELS.term(kind, value, "zh"), when=str, said=said,
        **context,
    )  # fmt: skip


PAGE = {"max_photos": 9, "refusal": None, "done": None}


@pytest.mark.parametrize("via_link", [False, True])
def test_the_case_page_renders_every_condition_with_the_forms_its_state_allows(via_link):
    for made in cases_in_every_condition():
        case = shown(replace(made, assignee=ME, attachments=("photo:ph_report",)))
        actions = actions_for(case)
        html = rendered(
            "my/case.html", case=case, actions=actions, form_keys=dict.fromkeys(actions, "k" * 20),
            photos=photos_by_step(case), base="/v/tok" if via_link else f"/my/cases/{case['id']}",
            via_link=via_link, **PAGE,
        )  # fmt: skip
        for action in ("accept", "decline", "resolve", "extension"):
            assert (f'id="form-{action}"' in html) == (action in actions), (action, case["state"])
        assert 'data-kind="before"' in html and ("via-link" in html) == via_link


def test_a_private_case_s_details_withheld_by_cases_are_nowhere_on_the_page():
    [made, *_] = [c for c in cases_in_every_condition() if c.state == "dispatched"]
    private = replace(made, private=True, assignee="p-vol-2", description="夫妻吵架 SECRET-TEXT",
                      attachments=("photo:ph_private",))  # fmt: skip
    seen = shown(private, ME)  # another volunteer's token: cases withholds the details
    html = rendered("my/case.html", case=seen, actions=(), form_keys={},
                    photos=photos_by_step(seen), base="/v/tok", via_link=True, **PAGE)  # fmt: skip
    assert "SECRET-TEXT" not in html and "ph_private" not in html
    assert "SECRET-TEXT" in str(shown(private, "p-vol-2")), "its assignee sees them"


@pytest.mark.parametrize("action", ["accept", "decline", "resolve", "extension"])
def test_each_confirm_step_says_what_will_happen_and_carries_the_form_s_key(action):
    [made, *_] = cases_in_every_condition()
    form = {
        "form_key": "k" * 20,
        "confirmed": False,
        "note": "",
        "reason": "在外地",
        "resolution": "已处理",
        "photos": "ph_aaaaaaaaaaaaaaaa",
        "until": "2026-12-08T18:00",
    }
    html = rendered("my/confirm.html", case=shown(replace(made, assignee=ME)), action=action,
                    form=form, until=NOW if action == "extension" else None, base="/v/tok",
                    via_link=True)  # fmt: skip
    assert 'name="confirmed" value="true"' in html and 'value="' + "k" * 20 + '"' in html
    assert f'action="/v/tok/{action}"' in html


def test_the_list_and_the_refusals_render():
    [made, *_] = cases_in_every_condition()
    case = shown(replace(made, assignee=ME))
    html = rendered("my/cases.html", offered=[case], taken=[], done=[], offer_until={})
    assert case["number"] in html and f'href="/my/cases/{case["id"]}"' in html
    for reason in ("invalid", "expired", "revoked"):
        assert f'data-reason="{reason}"' in rendered("my/link_refused.html", reason=reason)
    assert 'id="done"' in rendered("my/declined.html", via_link=True)
