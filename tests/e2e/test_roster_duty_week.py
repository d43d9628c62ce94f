"""A person's week of duty (`GET /v1/people/{id}/duty-week`) end to end on the running
stack: every rota the person is on — a rota of a grid that is not their home grid
included — with each shift's rota, team and grids, its times in UTC and in the
community's zone, and where they stand now after a sign-in; the route in roster's
OpenAPI document. Attacks: another volunteer's token, a grid worker of a grid the person
does not serve, another community's staff and key (all "not found", as the feed and the
ledger answer), a week that is no Monday (400)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import client
from tests.e2e.test_roster_dispatch import import_community, new_code, small_community

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")


def serving_a_neighbouring_grid(code: str) -> dict:
    """The small community, with `<code>-v4` (home grid 2, on grid 2's rota) also on an
    evening rota of grid 1 (18:00–20:00 daily), and a grid worker of grid 2."""
    document = small_community(code)
    document["rotas"].append({
        "id": f"{code}:fix-g1-evenings", "community": code, "team": "fix",
        "grids": [f"{code}-g1"], "starts": (date.today() - timedelta(days=9)).isoformat(),
        "slots": ["FREQ=DAILY;BYHOUR=18 for 2h"], "crews": [[f"{code}-v4"]],
    })  # fmt: skip
    worker = {**document["people"][0], "id": f"{code}-gw2", "roles": ["grid_worker"],
              "home_grids": [f"{code}-g2"]}  # fmt: skip
    document["people"].append(worker)
    return document


@pytest.fixture(scope="module")
def place(stack, admin_key) -> str:
    code = new_code("rdw")
    imported = import_community(stack, admin_key, serving_a_neighbouring_grid(code))
    assert imported.status_code == 200, imported.text
    return code


@pytest.fixture(scope="module")
def key(keys, place) -> str:
    """A key of the place's, as an app's: what it reads depends on the person's token."""
    return keys.issue(["read", "act"], [place])


def week_of(stack, keys, key: str, place: str, person_id: str, reader: str, role: str, **params):
    """`person_id`'s week as `reader` (of `place`) asks for it: their token through `key`."""
    session = client(key, keys.person_token(reader, role, [place]))
    url = f"{stack.url('roster')}/v1/people/{person_id}/duty-week"
    return session.get(url, params=params, timeout=10)


def this_monday() -> date:
    today = datetime.now(SHANGHAI).date()
    return today - timedelta(days=today.weekday())


def test_the_week_holds_the_shifts_of_a_rota_of_another_grid(stack, keys, key, place):
    me = f"{place}-v4"
    answer = week_of(stack, keys, key, place, me, me, "volunteer")
    assert answer.status_code == 200, answer.text
    week = answer.json()
    assert (week["person_id"], week["timezone"]) == (me, "Asia/Shanghai")
    assert week["week"] == this_monday().isoformat()  # this week in the community's zone
    assert {r["rota_id"] for r in week["rotas"]} == {f"{place}:fix-g2", f"{place}:fix-g1-evenings"}
    evenings = [s for s in week["shifts"] if s["rota_id"] == f"{place}:fix-g1-evenings"]
    assert len(evenings) == 7  # Monday to Sunday
    first = evenings[0]
    assert first["grids"] == [{"grid_id": f"{place}-g1", "name": "一网格"}]
    assert first["team"] == {"code": "fix", "name": "维修"}
    assert first["day"] == this_monday().isoformat()
    assert first["start_local"] == f"{this_monday().isoformat()}T18:00:00+08:00"
    starts = datetime.fromisoformat(first["start"])
    assert starts.utcoffset() == timedelta(0)
    assert starts == datetime.fromisoformat(first["start_local"])
    later = (this_monday() + timedelta(days=7)).isoformat()
    ahead = week_of(stack, keys, key, place, me, me, "volunteer", week=later).json()
    assert ahead["week"] == later and len(ahead["shifts"]) == len(week["shifts"])


def test_a_sign_in_to_the_other_grids_rota_shows_where_the_person_stands(stack, keys, key, place):
    me, rota = f"{place}-v4", f"{place}:fix-g1-evenings"
    own = client(key, keys.person_token(me, "volunteer", [place]))
    signed = own.post(f"{stack.url('roster')}/v1/duty/check-in", json={"rota_id": rota},
                      timeout=10)  # fmt: skip
    assert signed.status_code == 200, signed.text
    try:
        week = week_of(stack, keys, key, place, me, me, "volunteer").json()
        (stands,) = [r for r in week["rotas"] if r["rota_id"] == rota]
        assert stands["on_duty_now"] and stands["checked_in_at"]
        assert datetime.fromisoformat(stands["checked_in_at"]) <= datetime.now(UTC)
    finally:
        out = own.post(f"{stack.url('roster')}/v1/duty/check-out", json={"rota_id": rota},
                       timeout=10)  # fmt: skip
        assert out.status_code == 200, out.text
    week = week_of(stack, keys, key, place, me, me, "volunteer").json()
    (stands,) = [r for r in week["rotas"] if r["rota_id"] == rota]
    assert stands["checked_in_at"] is None


def test_whom_the_week_is_not_for_finds_no_person(stack, keys, key, admin_key, place):
    me, neighbour = f"{place}-v4", f"{place}-v1"
    assert week_of(stack, keys, key, place, neighbour, me, "volunteer").status_code == 404
    assert week_of(stack, keys, key, place, me, neighbour, "volunteer").status_code == 404
    # grid 2's worker: v4 lives in grid 2; v1 lives and serves in grid 1 only
    assert week_of(stack, keys, key, place, me, f"{place}-gw2", "grid_worker").status_code == 200
    assert (
        week_of(stack, keys, key, place, neighbour, f"{place}-gw2", "grid_worker").status_code
        == 404
    )
    # grid 1's leader: v4 serves grid 1's evening rota
    assert week_of(stack, keys, key, place, me, f"{place}-leader", "grid_leader").status_code == 200
    assert week_of(stack, keys, key, place, me, f"{place}-staff", "staff").status_code == 200
    # another community: its staff's token and its key alone
    elsewhere = new_code("rdx")
    assert import_community(stack, admin_key, small_community(elsewhere)).status_code == 200
    url = f"{stack.url('roster')}/v1/people/{me}/duty-week"
    theirs = client(keys.issue(["read"], [elsewhere]),
                    keys.person_token(f"{elsewhere}-staff", "staff", [elsewhere]))  # fmt: skip
    assert theirs.get(url, timeout=10).status_code == 404
    assert client(keys.issue(["read"], [elsewhere])).get(url, timeout=10).status_code == 404
    assert client(admin_key).get(url, timeout=10).status_code == 200
    assert requests.get(url, timeout=10).status_code == 401  # no key


def test_a_week_is_named_by_its_monday_and_the_route_is_documented(stack, keys, key, place):
    me = f"{place}-v4"
    tuesday = (this_monday() + timedelta(days=1)).isoformat()
    answer = week_of(stack, keys, key, place, me, me, "volunteer", week=tuesday)
    assert answer.status_code == 400 and "week" in answer.json()["error"]["fields"]
    document = requests.get(f"{stack.url('roster')}/v1/openapi.json", timeout=10).json()
    operation = document["paths"]["/v1/people/{person_id}/duty-week"]["get"]
    assert {"200", "400", "401", "404"} <= set(operation["responses"])
    assert "week" in [parameter["name"] for parameter in operation["parameters"]]
