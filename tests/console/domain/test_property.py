"""The property evaluation's layout rules in the console (services.console.domain.property):
the paper-ballot form's counts, percentages, the estates by roster's names, and what staff
are asked to do next. Plain Python."""

from __future__ import annotations

from services.console.domain.property import (
    COUNT_FIELDS,
    counts_body,
    estate_rows,
    next_action,
    percent,
)


def test_the_paper_ballot_form_becomes_the_estate_service_s_counts():
    form = {name: "0" for name in COUNT_FIELDS} | {"quarter": "2026-Q4"}
    form |= {"overall_satisfied": "3", "overall_dissatisfied": "12", "repairs_dissatisfied": "9"}
    body = counts_body(form | {"cleaning_satisfied": ""})  # an empty field is none counted
    assert body["quarter"] == "2026-Q4"
    assert body["overall"] == {"satisfied": 3, "basically_satisfied": 0, "dissatisfied": 12}
    assert body["aspects"]["repairs"]["dissatisfied"] == 9
    assert body["aspects"]["cleaning"] == {
        "satisfied": 0,
        "basically_satisfied": 0,
        "dissatisfied": 0,
    }
    assert len(COUNT_FIELDS) == 15


def test_percent_and_the_estates_by_name():
    assert (percent(0.625), percent(None), percent(1.0)) == ("62.5%", "—", "100.0%")
    estates = [{"code": "jx-e2", "name": "北苑"}, {"code": "jx-e1", "name": "小区"}]
    rows = estate_rows(estates, [{"estate_id": "jx-e2", "company": {"name": "金盾"}}])
    assert [(row["id"], row["name"], bool(row["evaluation"])) for row in rows] == [
        ("jx-e1", "小区", False),
        ("jx-e2", "北苑", True),
    ]


def closed(quarter: str, level: str, *kinds: str) -> dict:
    return {"quarter": quarter, "level": level, "actions": [{"kind": kind} for kind in kinds]}


def test_what_staff_are_asked_next_is_the_latest_verdict_s_action_once_then_the_open_plan():
    assert next_action({"history": []}) == (None, None)
    assert next_action({"history": [closed("2026-Q4", "warning")]}) == ("2026-Q4", "warning")
    done = {"history": [closed("2026-Q4", "warning", "warning")], "standing": {"plan": None}}
    assert next_action(done) == (None, None)
    plan = {"text": "x", "due": "2027-01-31", "met_at": None}
    planned = {
        "history": [closed("2027-Q1", "none"), closed("2026-Q4", "rectification", "rectification")],
        "standing": {"plan": plan},
    }
    assert next_action(planned) == ("2027-Q1", "plan_met")
    met = {**planned, "standing": {"plan": {**plan, "met_at": "2027-01-20T00:00:00+00:00"}}}
    assert next_action(met) == (None, None)
