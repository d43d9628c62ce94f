"""A person's own duty and hours (app/my_duty.py, app/my_hours.py) over a stand-in for
roster's API and the console's store in memory: every read and act names the session's
own person; a sign-in or sign-out acts once per form, only on a rota of the person's, a
sign-out only while on duty; a form roster refused may be sent again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.console.apis import ApiError
from services.console.app import my_duty, my_hours
from services.console.app.desk import Desk
from services.console.domain.my_duty import NotOnDuty
from services.console.domain.queue import NotVisible
from services.console.domain.sessions import Scope, Session

NOW = datetime(2026, 3, 4, 2, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
ME = "p-me"
ROTA = "g2:red_vests"  # a rota of a grid that is not the person's home grid
KEY = "k" * 22
CONSOLE = "https://console.example"


class Roster:
    """What the pages ask of apis.Services, answering as roster would for `ME`, and keeping
    every call (to see whose id each names)."""

    def __init__(self, on_shift: bool = True, refuse: ApiError | None = None, household=True):
        self.calls: list[tuple] = []
        self.on_shift = on_shift
        self.refuse = refuse
        self.household = household

    def person(self, token, person_id):
        self.calls.append(("person", person_id))
        return {"person_id": person_id, "home_grids": ["g1"], "teams": ["red_vests"],
                "household_id": "b1-u1-101" if self.household else None}  # fmt: skip

    def duty_week(self, token, person_id, monday):
        """The person's week as roster answers it: a shift of theirs on grid 2's rota
        (not their home grid's), on duty now while `on_shift`."""
        self.calls.append(("duty_week", person_id, monday))
        team, where = {"code": "red_vests", "name": "红马甲"}, [{"grid_id": "g2", "name": "二网格"}]
        shifts = [{"rota_id": ROTA, "team": team, "grids": where,
                   "start": "2026-03-04T00:00:00Z", "end": "2026-03-04T08:00:00Z",
                   "on_duty": True, "under_way": self.on_shift, "on_duty_now": self.on_shift,
                   "covering": False}]  # fmt: skip
        rotas = [{"rota_id": ROTA, "team": team, "grids": where, "check_in_required": False,
                  "checked_in_at": None, "on_duty_now": self.on_shift}]  # fmt: skip
        return {"timezone": "Asia/Shanghai", "shifts": shifts, "rotas": rotas}

    def rota_feed(self, token, person_id, reset=False):
        self.calls.append(("rota_feed", person_id, reset))
        return f"http://roster:8002/v1/people/{person_id}/rota.ics?token=t"

    def duty(self, token, action, rota_id):
        self.calls.append(("duty", action, rota_id))
        if self.refuse:
            raise self.refuse
        return {"rota_id": rota_id, "person_id": ME, "overrides": []}

    def person_hours(self, token, person_id):
        self.calls.append(("person_hours", person_id))
        return {"entries": [], "balance_minutes": 90, "pending_minutes": 300}

    def household_hours(self, token, community, household_id):
        self.calls.append(("household_hours", community, household_id))
        raise ApiError(404, "not_found")


def desk(roster: Roster) -> Desk:
    session = Session("d", ME, "我**", "volunteer", Scope("jingxiang", None), "c", NOW, NOW)
    return Desk(roster, "token", session)  # type: ignore[arg-type]


def acted(roster: Roster) -> list[tuple]:
    return [call for call in roster.calls if call[0] == "duty"]


def test_the_page_reads_the_persons_own_week_in_one_request_and_their_feed():
    roster = Roster()
    shown = my_duty.duty_page(desk(roster), date(2026, 3, 6), NOW, CONSOLE)
    assert roster.calls == [("duty_week", ME, date(2026, 3, 2)), ("rota_feed", ME, False)]
    assert shown["this_week"] and [r.rota_id for r in shown["rotas"]] == [ROTA]
    ((found, times),) = shown["shifts"]
    assert (found.team, found.grids, times.starts, times.ends) == ("红马甲", ("二网格",), "08:00",
                                                                   "16:00")  # fmt: skip
    assert shown["timezone"] == "Asia/Shanghai"
    assert shown["feed_url"] == f"{CONSOLE}/feeds/{ME}/rota.ics?token=t"  # reachable by phones
    later = my_duty.duty_page(desk(roster), date(2026, 3, 10), NOW, CONSOLE)
    assert not later["this_week"] and later["rotas"] == []  # signing in is for this week


def test_a_form_sent_twice_signs_in_once(memory_store):
    roster = Roster()
    first = my_duty.act_on_duty(desk(roster), memory_store, "check_in", ROTA, KEY, NOW)
    again = my_duty.act_on_duty(desk(roster), memory_store, "check_in", ROTA, KEY, NOW)
    assert (first, again) == (True, False)
    assert acted(roster) == [("duty", "check-in", ROTA)]


def test_a_rota_not_the_persons_is_not_found_and_nothing_is_sent(memory_store):
    roster = Roster()
    with pytest.raises(NotVisible):
        my_duty.act_on_duty(desk(roster), memory_store, "check_in", "g1:red_vests", KEY, NOW)
    assert acted(roster) == []


def test_signing_out_off_duty_is_refused_before_roster_is_asked(memory_store):
    roster = Roster(on_shift=False)
    with pytest.raises(NotOnDuty):
        my_duty.act_on_duty(desk(roster), memory_store, "check_out", ROTA, KEY, NOW)
    assert acted(roster) == []


def test_a_form_roster_refused_may_be_sent_again(memory_store):
    roster = Roster(refuse=ApiError(409, "not_in_team"))
    with pytest.raises(ApiError):
        my_duty.act_on_duty(desk(roster), memory_store, "check_in", ROTA, KEY, NOW)
    roster.refuse = None
    assert my_duty.act_on_duty(desk(roster), memory_store, "check_in", ROTA, KEY, NOW)
    assert len(acted(roster)) == 2


def test_a_feed_reset_form_sent_twice_resets_once(memory_store):
    roster = Roster()
    assert my_duty.reset_feed(desk(roster), memory_store, KEY, NOW)
    assert not my_duty.reset_feed(desk(roster), memory_store, KEY, NOW)
    assert [c for c in roster.calls if c[0] == "rota_feed"] == [("rota_feed", ME, True)]


def test_hours_are_the_persons_own_and_a_household_without_hours_has_none():
    roster = Roster()
    shown = my_hours.hours_page(desk(roster))
    assert ("person_hours", ME) in roster.calls
    assert ("household_hours", "jingxiang", "b1-u1-101") in roster.calls
    assert (shown["balance"].hours, shown["balance"].minutes) == (1, 30)
    assert shown["household"]["balance"].hours == 0
    assert my_hours.hours_page(desk(Roster(household=False)))["household"] is None
