"""The rota week page's layout (domain/rota.py): roster's week cut at the community's local
midnights, so that a night shift, a gap or a cover shows on each day it touches."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.console.domain.hours import correction_key, may_decide, new_form_key
from services.console.domain.rota import Stretch, day_parts, may_edit, monday_of, week_days

CHANGSHA = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int) -> str:
    return datetime(2026, 3, day, hour, tzinfo=CHANGSHA).isoformat()


def person(person_id: str) -> dict[str, str]:
    return {"person_id": person_id, "display_name": f"{person_id[-1]}**"}


WEEK = {
    "from": at(2, 0),
    "shifts": [
        {"rota_id": "r", "start": at(2, 20), "end": at(3, 8),
         "scheduled": [person("p1")], "on_duty": [person("p2")]},
        {"rota_id": "r", "start": at(8, 20), "end": at(9, 8),  # Sunday night into next week
         "scheduled": [person("p1")], "on_duty": [person("p1")]},
    ],
    "gaps": [{"start": at(4, 22), "end": at(5, 2)}],
    "overlaps": [],
    "overrides": [
        {"kind": "cover", "display_name": "2**", "start": at(2, 20), "end": at(3, 8)},
        {"kind": "no_show", "display_name": "3**", "start": at(6, 8), "end": at(6, 16)},
    ],
    "no_shows": [{"person_id": "p3", "start": at(6, 8), "end": at(6, 16)}],
}  # fmt: skip


def test_a_night_shift_shows_on_both_its_days_with_who_was_away():
    days = week_days(WEEK, CHANGSHA)
    assert [d.day for d in days] == [date(2026, 3, n) for n in range(2, 9)]
    (monday,) = days[0].shifts
    (tuesday,) = days[1].shifts
    assert (monday.stretch, tuesday.stretch) == (
        Stretch("20:00", "24:00", 4.0),
        Stretch("00:00", "08:00", 8.0),
    )
    assert (monday.on_duty, monday.away) == (("2**",), ("1**",))
    assert [s.stretch.starts for s in days[6].shifts] == ["20:00"]  # Monday after is not shown


def test_a_gap_over_midnight_is_marked_on_both_days_and_a_no_show_once():
    days = week_days(WEEK, CHANGSHA)
    assert days[2].gaps == [Stretch("22:00", "24:00", 2.0)]
    assert days[3].gaps == [Stretch("00:00", "02:00", 2.0)]
    saturday = [(c.kind, c.who) for c in days[4].changes]
    assert saturday == [("no_show", "p3")]  # the record, not its override again
    assert [(c.kind, c.who) for c in days[0].changes] == [("cover", "2**")]


def test_day_parts_of_a_span_within_one_day_and_the_week_starts_on_monday():
    start = datetime(2026, 3, 6, 9, tzinfo=CHANGSHA)
    end = datetime(2026, 3, 6, 12, tzinfo=CHANGSHA)
    assert day_parts(start, end, CHANGSHA) == [(date(2026, 3, 6), Stretch("09:00", "12:00", 3.0))]
    assert monday_of(date(2026, 3, 8)) == date(2026, 3, 2)


def test_only_roster_s_roles_see_the_forms_and_a_form_key_is_the_senders():
    assert (may_edit("staff"), may_edit("grid_leader"), may_edit("grid_worker")) == (
        True, True, False,
    )  # fmt: skip
    assert (may_decide("staff"), may_decide("grid_leader")) == (True, False)
    key = new_form_key()
    assert key != new_form_key() and len(key) >= 16
    assert correction_key("p-staff-1", key) == f"console:p-staff-1:{key}"
