"""Care rounds in the console (app/care.py, templates/care/) over a stand-in for roster's
and cases' APIs: a tick names the session's own person's round only; a round that needs
help opens its case (named by the round) before the tick names it; a round not open is
refused before anything is sent; both pages render roster's answers in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.console.app import care
from services.console.app.desk import Desk
from services.console.compose import load_labels, template_environment
from services.console.domain.care import RoundNotOpen
from services.console.domain.sessions import Scope, Session
from services.console.domain.staff import StaffMember

NOW = datetime(2026, 3, 4, 2, tzinfo=UTC)
ME = "p-me"
PLAN = {
    "id": "CP-0123456789abcdef", "community_id": "jingxiang", "grid_id": "jingxiang-g3",
    "area_code": "jingxiang-b34-u1", "display_name": "王**", "phone": "138****0001",
    "need": "elderly_alone", "kind": "call", "cadence": "weekly", "carer_id": ME,
    "starts_at": "2026-03-04T18:00:00+08:00", "timezone": "Asia/Shanghai",
    "consent": {"recorded_by": "p-staff-1", "recorded_at": "2026-03-01T02:00:00+00:00"},
    "created_at": "2026-03-01T02:00:00+00:00", "ended_at": None,
    "case_category": "care.elderly_alone",
    "rounds": [
        {"id": "CP-0123456789abcdef:2026-03-04", "index": 0, "day": "2026-03-04",
         "due_at": "2026-03-04T10:00:00+00:00", "state": "due", "tick": None},
    ],
}  # fmt: skip


class Services:
    """What the care pages ask of apis.Services, answering as roster and cases would."""

    def __init__(self):
        self.calls: list[tuple] = []

    def carer_rounds(self, token, person_id):
        self.calls.append(("carer_rounds", person_id))
        return [PLAN] if person_id == ME else []

    def report_for_round(self, token, body, round_id):
        self.calls.append(("report", body, round_id))
        return {"id": "LX-CARE0001"}

    def tick_round(self, token, plan_id, day, body):
        self.calls.append(("tick", plan_id, day, body))
        return {}

    def care_register(self, token, community):
        return [PLAN]

    def people(self, token, community, **query):
        self.calls.append(("people", query["role"]))
        return {"people": [{"person_id": ME, "display_name": "我**", "roles": [query["role"]]}]}

    def community_places(self, token, community):
        """Cases' copy of the registry (GET /v1/areas/{community})."""
        self.calls.append(("places", community))
        return {"community_id": community, "areas": [
            {"code": "jingxiang-b34", "name": "34栋", "kind": "building"},
            {"code": "jingxiang-b34-u1", "name": "34栋1单元", "kind": "unit"},
        ]}  # fmt: skip

    def register_care_plan(self, token, body, key):
        self.calls.append(("register", body, key))
        return PLAN


class People:
    """The console's people as its store keeps them from roster's `person.changed`
    (ConsoleStore.member), counting the reads."""

    def __init__(self, *known: StaffMember):
        self.known = {member.person_id: member for member in known}
        self.reads: list[str] = []

    def member(self, person_id: str) -> StaffMember | None:
        self.reads.append(person_id)
        return self.known.get(person_id)


def member(person_id: str, name: str, community: str = "jingxiang") -> StaffMember:
    return StaffMember(person_id, community, name, ("volunteer",), (), True, 1)


PEOPLE = People(member(ME, "我**"), member("p-staff-1", "刘**"))


def desk(role: str = "volunteer", person: str = ME) -> tuple[Desk, Services]:
    services = Services()
    session = Session("d", person, "我**", role, Scope("jingxiang", None), "csrf", NOW, NOW)
    return Desk(services, "token", session), services


def test_a_well_round_is_ticked_and_opens_no_case():
    mine, services = desk()
    assert care.tick(mine, PLAN["id"], "2026-03-04", "well", "都好") is None
    assert services.calls[-1] == (
        "tick",
        PLAN["id"],
        "2026-03-04",
        {"outcome": "well", "note": "都好"},
    )
    assert not [call for call in services.calls if call[0] == "report"]


def test_a_round_that_needs_help_opens_its_case_first_and_names_it():
    mine, services = desk()
    assert care.tick(mine, PLAN["id"], "2026-03-04", "needs_help", "摔倒了") == "LX-CARE0001"
    (_, body, round_id), tick = services.calls[-2], services.calls[-1]
    assert round_id == "CP-0123456789abcdef:2026-03-04"
    assert body == {
        "community_id": "jingxiang", "description": "摔倒了", "channel": "door_knocking",
        "category": "care.elderly_alone",
        "location": {"grid_id": "jingxiang-g3", "area_code": "jingxiang-b34-u1"},
    }  # fmt: skip
    assert tick[3] == {"outcome": "needs_help", "note": "摔倒了", "case_id": "LX-CARE0001"}


def test_the_same_form_again_finds_its_tick_and_another_is_refused():
    mine, services = desk()
    tick = {"outcome": "needs_help", "note": "摔倒了", "case_id": "LX-CARE0001"}
    ticked = {**PLAN["rounds"][0], "state": "ticked", "tick": tick}
    services.carer_rounds = lambda token, person_id: [{**PLAN, "rounds": [ticked]}]
    assert care.tick(mine, PLAN["id"], "2026-03-04", "needs_help", "摔倒了") == "LX-CARE0001"
    with pytest.raises(RoundNotOpen):
        care.tick(mine, PLAN["id"], "2026-03-04", "well", "都好")
    assert services.calls == []


@pytest.mark.parametrize(
    "plan_id, day", [("CP-ffffffffffffffff", "2026-03-04"), (PLAN["id"], "2026-03-11")]
)
def test_a_round_not_the_carers_or_not_open_sends_nothing(plan_id, day):
    mine, services = desk()
    with pytest.raises(RoundNotOpen):
        care.tick(mine, plan_id, day, "needs_help", "伪造")
    assert [call[0] for call in services.calls] == ["carer_rounds"]


def test_a_registration_is_the_forms_local_time_in_the_zone_with_consent():
    staff, services = desk("staff", "p-staff-1")
    form = {
        "name": "赵桂兰", "phone": "", "need": "disability", "kind": "visit",
        "cadence": "monthly", "area_code": "jingxiang-b34-u1", "carer_id": ME,
        "starts_on": datetime(2026, 3, 31).date(), "at": time(18, 0), "consent": "yes",
    }  # fmt: skip
    care.register(staff, form, "k" * 22, ZoneInfo("Asia/Shanghai"))
    (_, body, key) = services.calls[-1]
    assert body["starts_at"] == "2026-03-31T18:00:00+08:00" and body["consent"] is True
    assert "phone" not in body, "no number given: none sent (roster takes digits or nothing)"
    assert key == "care-plan:" + "k" * 22


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_pages_render_roster_s_answers(lang):
    templates, labels = template_environment(), load_labels()
    mine, _ = desk()
    staff, _ = desk("staff", "p-staff-1")
    common = {
        "t": lambda key: labels.text(key, lang), "when": lambda at: str(at), "lang": lang,
        "csrf_token": "csrf", "errors": {}, "sent": {}, "done": None, "refused": None,
        "path": "/", "other_lang": "en", "html_lang": "zh-CN",
    }  # fmt: skip
    page = templates.get_template("care/my.html").render(
        session=mine.session, case=None, **common, **care.my_rounds(mine)
    )
    assert "王**" in page and 'name="note"' in page and "door_knocking" not in page
    assert '<span class="place">34栋1单元</span>' in page and "jingxiang-b34-u1" not in page
    shown = care.register_page(staff, People().member)
    register = templates.get_template("care/register.html").render(
        session=staff.session, new_key=lambda: "k" * 22, zone_name="Asia/Shanghai",
        today="2026-03-04", **common, **shown,
    )  # fmt: skip
    assert "王**" in register and 'value="p-me"' in register
    assert '<span class="place">34栋1单元</span>' in register  # the plan's place, by name
    assert "34栋1单元 (jingxiang-b34-u1)</option>" in register  # the form's units: staff's codes
    assert [place["code"] for place in shown["places"]] == ["jingxiang-b34-u1"]  # units only


def test_a_place_the_registry_no_longer_lists_shows_its_code():
    mine, services = desk()
    services.community_places = lambda token, community: None  # cases: no such community
    [plan] = care.my_rounds(mine)["plans"]
    assert plan["place"] == "jingxiang-b34-u1"


def test_a_carer_with_no_plans_asks_cases_for_no_places():
    mine, services = desk(person="p-someone-else")
    assert care.my_rounds(mine) == {"plans": [], "timezone": None}
    assert [call[0] for call in services.calls] == ["carer_rounds"]


@pytest.mark.parametrize("role", ["staff", "grid_worker"])
def test_the_register_names_its_people_masked_and_ids_only_for_staff(role):
    """A plan's carer and the consent's recorder by their masked names (the ids were all
    a grid worker saw); staff keep the carer's id, to tell two 王** apart."""
    templates, labels = template_environment(), load_labels()
    viewer, _ = desk(role, "p-viewer")
    shown = care.register_page(viewer, PEOPLE.member)
    register = templates.get_template("care/register.html").render(
        session=viewer.session, new_key=lambda: "k" * 22, zone_name="Asia/Shanghai",
        today="2026-03-04", t=lambda key: labels.text(key, "zh"), when=str, lang="zh",
        csrf_token="csrf", errors={}, sent={}, done=None, path="/care", html_lang="zh-CN",
        other_lang="en", **shown,
    )  # fmt: skip
    assert '<span class="carer">我**</span>' in register
    assert '<span class="consent-by">刘**</span>' in register
    assert "p-staff-1" not in register
    assert ("(p-me)" in register) == (role == "staff")


def test_the_register_reads_each_person_once_and_names_only_its_community_s():
    """Plans of one carer read the carer once (the console's store, by `_id`); a person of
    another community, or one the console has not heard of, keeps their id."""
    viewer, services = desk("staff", "p-staff-1")
    second = {**PLAN, "id": "CP-fedcba9876543210", "carer_id": "p-elsewhere",
              "consent": {**PLAN["consent"], "recorded_by": "key-app-1"}}  # fmt: skip
    services.care_register = lambda token, community: [PLAN, PLAN, second]
    people = People(member(ME, "我**"), member("p-elsewhere", "外**", "another"))
    plans = care.register_page(viewer, people.member)["plans"]
    assert sorted(people.reads) == ["key-app-1", "p-elsewhere", "p-me", "p-staff-1"]
    assert [(plan["carer_name"], plan["consent_by_name"]) for plan in plans] == [
        ("我**", "p-staff-1"), ("我**", "p-staff-1"), ("p-elsewhere", "key-app-1"),
    ]  # fmt: skip
