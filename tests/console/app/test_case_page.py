"""What a case's page gathers and what each form sends cases (services/console/app/cases.py):
plain functions over cases' answers."""

from __future__ import annotations

from services.console.app.cases import body_of, places_by_grid, suggested_first

AREAS = [
    {"code": "g1", "kind": "grid", "parent": "jx", "name": "第一网格", "grid_id": "g1"},
    {"code": "g2", "kind": "grid", "parent": "jx", "name": "第二网格", "grid_id": "g2"},
    {"code": "e1", "kind": "estate", "parent": "g1", "name": "井湘小区", "grid_id": "g1"},
    {"code": "e1-b5", "kind": "building", "parent": "e1", "name": "5栋", "grid_id": "g1"},
    {"code": "e1-b5-u2", "kind": "unit", "parent": "e1-b5", "name": "2单元", "grid_id": "g1"},
]
KEY = {"form_key": "k" * 20, "csrf": "c"}


def test_the_place_picker_groups_each_grids_places_said_with_their_parents():
    groups = places_by_grid(AREAS)
    assert [group["grid"]["code"] for group in groups] == ["g1", "g2"]
    assert [place["said"] for place in groups[0]["places"]] == [
        "井湘小区", "井湘小区 5栋", "井湘小区 5栋 2单元",
    ]  # fmt: skip
    assert groups[1]["places"] == []
    repeated = [*AREAS[:4], {**AREAS[4], "name": "5栋2单元"}]
    assert places_by_grid(repeated)[0]["places"][-1]["said"] == "井湘小区 5栋2单元"


def test_the_suggested_categories_come_first_marked():
    categories = [{"code": "a.x"}, {"code": "b.y"}, {"code": "c.z"}]
    shown = suggested_first(categories, ["c.z", "b.y"])
    assert [(c["code"], c["suggested"]) for c in shown] == [
        ("c.z", True), ("b.y", True), ("a.x", False),
    ]  # fmt: skip
    assert [c["code"] for c in suggested_first(categories, None)] == ["a.x", "b.y", "c.z"]


def test_each_form_sends_cases_its_own_body():
    triage = {**KEY, "category": "facility.lighting", "priority": "", "place": "area:e1-b5-u2"}
    assert body_of("triage", triage) == {
        "category": "facility.lighting", "location": {"area_code": "e1-b5-u2"},
    }  # fmt: skip
    grid = {**triage, "place": "grid:g2", "priority": "high"}
    assert body_of("triage", grid)["location"] == {"grid_id": "g2"}
    assert "location" not in body_of("triage", {**triage, "place": ""})
    assert body_of("extension", {**KEY, "decision": "refuse", "note": ""}) == {"approved": False}
    assert body_of("merge", {**KEY, "into": "JX-20260306-0001"}) == {"into": "JX-20260306-0001"}
    assert body_of("suspend", {**KEY, "reason": "等待住建"}) == {"reason": "等待住建"}
    assert body_of("note", {**KEY, "note": "已联系"}) == {"note": "已联系"}
    assert body_of("resume", {**KEY, "note": ""}) == {}
    assert body_of("assign", {**KEY, "assignee": "p-1|王*", "note": ""}) == {
        "person_id": "p-1", "display_name": "王*",
    }  # fmt: skip


def rendered(template: str, **context) -> str:
    """A page as the console renders it (StrictUndefined: a key cases' view lacks fails)."""
    from services.console.compose import load_labels, template_environment
    from services.console.domain.timeline import said, said_reason

    labels = load_labels()
    return template_environment().get_template(template).render(
        lang="zh", html_lang="zh-CN", other_lang="en", zone="Asia/Shanghai", session=None,
        csrf_token="c", path="/", t=lambda key: labels.text(key, "zh"),
        term=lambda kind, value: labels.term(kind, value, "zh"), when=str,
        said=said, said_reason=said_reason, **context,
    )  # fmt: skip


def test_the_case_page_and_a_row_render_every_case_as_cases_shows_it():
    """Cases' own view (its schema's dump) of a case in every condition, with every form
    a role may see on it: nothing the templates read is missing."""
    from services.cases.http.schemas import CaseSchema
    from services.cases.http.views import case_view
    from services.console.domain.case_actions import actions_for
    from tests.console.domain.test_case_actions import cases_in_every_condition

    for made in cases_in_every_condition():
        case = CaseSchema().dump(case_view(made))
        for role in ("staff", "grid_worker"):
            actions = actions_for(role, case)
            html = rendered(
                "cases/case.html", case=case, actions=actions,
                form_keys=dict.fromkeys(actions, "k" * 20), on_duty=[], categories=[],
                places=places_by_grid(AREAS), hotline_replies=[], done=None, refusal=None,
            )  # fmt: skip
            assert f'id="form-{actions[-1]}"' in html if actions else "form-" not in html
            if any(step["action"] == "triage" for step in case["timeline"]):  # by its name
                assert f"{case['category_label']['zh']}（优先级：" in html
                assert f"{case['category']}（" not in html
        assert case["number"] in rendered("cases/_row.html", case=case)
