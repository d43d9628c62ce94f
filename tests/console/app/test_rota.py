"""The rota page's use cases (app/rota.py) over a stand-in for roster's API: the console
narrows roster's community rule to the person's grids, and to the people, leave and covers
of the week a form was sent from, before anything is sent to roster."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.console.app import rota
from services.console.app.desk import Desk
from services.console.domain.queue import NotVisible
from services.console.domain.sessions import Scope, Session

NOW = datetime(2026, 3, 6, 4, tzinfo=UTC)


class Roster:
    """What app/rota.py asks of apis.Services, answering one week and keeping what it sent."""

    def __init__(self, community: str = "jingxiang"):
        self.community = community
        self.sent: list[tuple] = []

    def rota_week(self, token, grid_id, team, week):
        member = {"person_id": f"{grid_id}-green-1", "display_name": "彭**"}
        return {
            "grid_id": grid_id, "team": team or "green_vests", "community_id": self.community,
            "timezone": "Asia/Shanghai", "from": "2026-03-02T00:00:00+08:00", "teams": [],
            "rotas": [{"rota_id": f"{grid_id}:green_vests", "members": [member]}],
            "shifts": [], "gaps": [], "overlaps": [], "no_shows": [],
            "overrides": [{"id": "o1", "rota_id": f"{grid_id}:green_vests", "kind": "cover",
                           "display_name": "姚**", "start": "2026-03-04T00:00:00+08:00",
                           "end": "2026-03-04T08:00:00+08:00"}],
            "leave": [{"id": "l1", "person_id": f"{grid_id}-green-1"}],
        }  # fmt: skip

    def rota_grids(self, token, community):
        return [{"code": "g1"}, {"code": "g2"}, {"code": "g9", "removed": True}]

    def __getattr__(self, name):  # add_leave, remove_leave, add_override, remove_override
        return lambda *args: self.sent.append((name, *args[1:]))


def desk(role: str, grids: frozenset[str] | None, roster: Roster) -> Desk:
    session = Session("d", "p-me", "我**", role, Scope("jingxiang", grids), "c", NOW, NOW)
    return Desk(roster, "token", session)  # type: ignore[arg-type]


LEAVE = {"start": datetime(2026, 3, 3, 8), "end": datetime(2026, 3, 3, 16), "reason": "体检"}


def test_leave_goes_to_roster_in_the_communitys_zone_for_someone_in_the_week():
    roster = Roster()
    mine = desk("grid_leader", frozenset({"g1"}), roster)
    shown = rota.week(mine, "g1", "green_vests", date(2026, 3, 4))
    rota.add_leave(mine, shown, {**LEAVE, "person_id": "g1-green-1"})
    body = {"start": "2026-03-03T08:00:00+08:00", "end": "2026-03-03T16:00:00+08:00",
            "reason": "体检"}  # fmt: skip
    assert roster.sent == [("add_leave", "g1-green-1", body)]


def test_a_grid_leader_changes_nothing_outside_their_grid_and_the_week_they_see():
    roster = Roster()
    mine = desk("grid_leader", frozenset({"g1"}), roster)
    with pytest.raises(NotVisible):
        rota.week(mine, "g2", "green_vests", date(2026, 3, 4))
    shown = rota.week(mine, "g1", "green_vests", date(2026, 3, 4))
    refused = (
        (rota.add_leave, {**LEAVE, "person_id": "g2-green-1"}),  # someone of another grid
        (rota.add_override, {**LEAVE, "rota_id": "g2:green_vests", "kind": "extra",
                             "person_id": "g1-green-1"}),  # another grid's rota
        (rota.add_override, {**LEAVE, "rota_id": "g1:green_vests", "kind": "cover",
                             "person_id": "g1-green-1", "replaces": "g2-green-1"}),
        (rota.remove_leave, {"person_id": "g2-green-1", "leave_id": "l1"}),
        (rota.remove_override, {"rota_id": "g2:green_vests", "override_id": "o1"}),
    )  # fmt: skip
    for change, form in refused:
        with pytest.raises(NotVisible):
            change(mine, shown, form)
    assert roster.sent == []


def test_another_communitys_week_is_not_shown_and_staff_choose_among_live_grids():
    with pytest.raises(NotVisible):
        rota.week(desk("staff", None, Roster("elsewhere")), "g1", None, date(2026, 3, 4))
    shown, zone = rota.week_page(desk("staff", None, Roster()), None, None, date(2026, 3, 4))
    assert (shown["grids"], shown["week"]["grid_id"], str(zone)) == (
        ["g1", "g2"], "g1", "Asia/Shanghai",
    )  # fmt: skip
    assert (shown["monday"], shown["editable"]) == (date(2026, 3, 2), True)
    worker, _ = rota.week_page(desk("grid_worker", frozenset({"g2"}), Roster()), None, None,
                               date(2026, 3, 4))  # fmt: skip
    assert (worker["grids"], worker["editable"]) == (["g2"], False)
