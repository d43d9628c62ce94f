"""The publish form read into roster's body in the community's zone, and where a volunteer
stands on an activity (services.console.domain.activities). Plain Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.console.domain import activities

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {
    "kind": "patrol",
    "title": " 夜间巡逻 ",
    "places": ["jingxiang-g1"],
    "starts_at": "2026-03-07T09:00",
    "ends_at": "2026-03-07T11:30",
    "capacity": 10,
    "basis": "length",
    "fixed_minutes": "",
    "cap_minutes": "120",
}


def test_the_form_s_wall_clock_times_are_the_community_s():
    body, errors = activities.roster_body(FORM, "jingxiang", SHANGHAI)
    assert errors == {}
    assert body["starts_at"] == "2026-03-07T09:00:00+08:00"
    assert body["title"] == "夜间巡逻"
    assert body["hours_rule"] == {"basis": "length", "cap_minutes": 120}
    urumqi, _ = activities.roster_body(FORM, "jingxiang", ZoneInfo("Asia/Urumqi"))
    assert urumqi["starts_at"] == "2026-03-07T09:00:00+06:00"


def test_a_time_that_is_none_names_its_field():
    _, errors = activities.roster_body({**FORM, "ends_at": "tomorrow"}, "jingxiang", SHANGHAI)
    assert list(errors) == ["ends_at"]


def test_a_fixed_rule_sends_its_minutes_and_roster_s_nested_errors_name_the_form_s_fields():
    fixed = {**FORM, "basis": "fixed", "fixed_minutes": "60"}
    body, _ = activities.roster_body(fixed, "jingxiang", SHANGHAI)
    assert body["hours_rule"]["fixed_minutes"] == 60
    refused = {"hours_rule": {"fixed_minutes": ["A fixed rule names its minutes."]}, "title": ["x"]}
    assert set(activities.field_of_roster(refused)) == {"fixed_minutes", "title"}


def activity(places_left: int, checked_in_at: str | None = None, mine: bool = True) -> dict:
    starts = datetime(2026, 3, 7, 1, tzinfo=UTC)
    signups = [{"person_id": "p-1", "checked_in_at": checked_in_at}] if mine else []
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "places_left": places_left, "signups": signups}  # fmt: skip


def test_what_a_volunteer_may_do_before_during_and_after():
    before = datetime(2026, 3, 6, 1, tzinfo=UTC)
    during = datetime(2026, 3, 7, 2, tzinfo=UTC)
    after = datetime(2026, 3, 7, 4, tzinfo=UTC)
    assert activities.my_standing(activity(3, mine=False), "p-1", before)["may_sign_up"]
    assert activities.my_standing(activity(0, mine=False), "p-1", before)["full"]
    assert activities.my_standing(activity(0), "p-1", before)["may_withdraw"]
    assert not activities.my_standing(activity(3, mine=False), "p-1", during)["may_sign_up"]
    assert activities.my_standing(activity(0), "p-1", during)["may_check_in"]
    assert not activities.my_standing(activity(0, "x"), "p-1", during)["may_check_in"]
    assert not activities.my_standing(activity(0), "p-1", after)["may_check_in"]
