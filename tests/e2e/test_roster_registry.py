"""The registry, rotas and their API end to end: import (CLI and HTTP, dry run and real),
leave and covers surviving a restart, sign-in and sign-out, reminders and no-shows,
the rota check, the iCalendar feed, keys, and a dispatch that reads only by `_id`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml
from icalendar import Calendar

from tests.e2e.conftest import admin_cli, client, wait_until
from tests.e2e.test_roster_dispatch import (
    RosterEvents,
    about_case,
    case_event,
    import_community,
    new_code,
    publish,
    small_community,
)

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def roster_events(stack, amqp_uri):
    probe = RosterEvents(amqp_uri)
    yield probe
    probe.close()


@pytest.fixture
def place(stack, admin_key) -> str:
    code = new_code("rr")
    imported = import_community(stack, admin_key, small_community(code))
    assert imported.status_code == 200, imported.text
    return code


def roster(stack) -> str:
    return stack.url("roster")


def on_duty(stack, key: str, grid: str, team: str = "fix") -> set[str]:
    answer = client(key).get(
        f"{roster(stack)}/v1/on-duty", params={"grid_id": grid, "team": team}, timeout=5
    )
    assert answer.status_code == 200, answer.text
    return {person["person_id"] for person in answer.json()["on_duty"]}


# -- import -------------------------------------------------------------------------------------


def test_the_cli_dry_run_lists_every_rejected_row_and_the_real_run_imports(
    stack, admin_key, tmp_path
):
    code = new_code("ri")
    document = small_community(code)
    people = document.pop("people")
    (tmp_path / "community.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    header = "id,community,name,roles,teams,home_grids,contacts,household\n"
    rows = [
        f"{p['id']},{code},{p['name']},{';'.join(p['roles'])},{';'.join(p['teams'])},"
        f"{p['home_grids'][0]},wecom:{p['id']},{p.get('household', '')}\n"
        for p in people
    ]
    broken = [*rows, f"{code}-x,{code},,wizard,fix,{code}-g9,pager:1,\n"]
    (tmp_path / "people.csv").write_text(header + "".join(broken))

    dry = admin_cli(stack, "roster", "import", str(tmp_path), "--dry-run")
    assert dry.returncode == 1
    assert "people.csv:8" in dry.stdout and "nothing imported" in dry.stdout
    for reason in ("name", "roles", "channel"):
        assert reason in dry.stdout, reason
    area = requests.get(
        f"{roster(stack)}/v1/areas/{code}", headers={"X-Api-Key": admin_key}, timeout=5
    )
    assert area.status_code == 404

    (tmp_path / "people.csv").write_text(header + "".join(rows))
    checked = admin_cli(stack, "roster", "import", str(tmp_path), "--dry-run")
    assert checked.returncode == 0 and "every row is fine" in checked.stdout
    imported = admin_cli(stack, "roster", "import", str(tmp_path))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    area = requests.get(
        f"{roster(stack)}/v1/areas/{code}-g1", headers={"X-Api-Key": admin_key}, timeout=5
    )
    assert area.status_code == 200 and area.json()["leader"] == f"{code}-leader"
    again = admin_cli(stack, "roster", "import", str(tmp_path))
    assert again.returncode == 0 and "0 document(s) changed" in again.stdout


def test_the_http_import_checks_first_refuses_rejected_rows_and_keeps_to_the_keys_community(
    stack, admin_key, keys
):
    code = new_code("rh")
    document = small_community(code)
    document["rotas"].append(
        {
            "id": f"{code}:bad",
            "community": code,
            "team": "fix",
            "starts": "2026-01-01",
            "slots": ["FREQ=MONTHLY for 2h"],
            "crews": [[f"{code}-v1"]],
        }
    )
    dry = import_community(stack, admin_key, document, dry_run=True)
    assert dry.status_code == 200
    assert dry.json()["applied"] is False
    assert [(r["source"], r["reasons"]) for r in dry.json()["rejected"]] == [
        ("body: rotas #4", ["slots: Use FREQ=DAILY, WEEKLY or HOURLY, not MONTHLY."])
    ]
    real = import_community(stack, admin_key, document)
    assert real.status_code == 422 and real.json()["error"]["code"] == "import_rejected"
    assert real.json()["error"]["rejected"][0]["key"] == f"{code}:bad"

    document["rotas"].pop()
    elsewhere = keys.issue(["admin"], ["jingxiang"])
    refused = import_community(stack, elsewhere, document)
    assert refused.status_code == 403
    done = import_community(stack, admin_key, document)
    assert done.status_code == 200 and done.json()["applied"] is True
    assert done.json()["changed"]["rotas"] == 3


def test_a_staff_member_imports_a_file_into_their_own_community_only_and_the_list_shows_it(
    stack, keys, place
):
    """POST /v1/imports/file reads an uploaded file as the CLI reads it; an `act` key
    imports nothing on its own, nor with a volunteer's token; a staff member's token
    imports into their community and no other. GET /v1/people lists it, masked."""
    url = f"{roster(stack)}/v1/imports/file"
    mine = keys.issue(["read", "act"], ["*"])  # as the console's key: every community
    staff = client(mine, keys.person_token(f"{place}-staff", "staff", [place]))
    row = f"{place}-new,{place},新来的,13900000001,{place}-g2"
    text = f"id,community,name,phone,home_grids\n{row}\n"
    body = {"name": "people.csv", "text": text}
    dry = staff.post(url, params={"dry_run": "true"}, json=body, timeout=10)
    assert dry.status_code == 200 and dry.json()["accepted"]["people"] == 1, dry.text
    assert client(mine).get(f"{roster(stack)}/v1/people/{place}-new", timeout=5).status_code == 404
    volunteer = client(mine, keys.person_token(f"{place}-v1", "volunteer", [place]))
    for refused in (client(mine), volunteer):
        assert refused.post(url, json=body, timeout=10).status_code == 403
    unread = staff.post(url, json={**body, "name": "shifts.csv"}, timeout=10)
    assert unread.status_code == 400 and unread.json()["error"]["code"] == "invalid_file"
    elsewhere = text.replace(f",{place},", ",jingxiang,").replace(f"{place}-g2", "jingxiang-g2")
    assert staff.post(url, json={**body, "text": elsewhere}, timeout=10).status_code == 403
    done = staff.post(url, json=body, timeout=10)
    assert done.status_code == 200 and done.json()["changed"]["people"] == 1, done.text

    listing = client(mine).get(
        f"{roster(stack)}/v1/people", params={"community_id": place, "grid_id": f"{place}-g2"},
        timeout=5,
    )  # fmt: skip
    listed = {p["person_id"]: p for p in listing.json()["people"]}
    assert listed[f"{place}-new"]["phone"] == "139****0001"
    assert listed[f"{place}-new"]["display_name"] == "新**"
    other = keys.issue(["read"], ["jingxiang"])
    answer = client(other).get(
        f"{roster(stack)}/v1/people", params={"community_id": place}, timeout=5
    )
    assert answer.status_code == 404


def test_a_community_admin_cannot_move_another_communitys_records_into_its_own(
    stack, admin_key, keys
):
    """Area codes, person ids and rota ids are one namespace for all communities: a row
    naming one of another community would move it (with its signed links and duty)."""
    theirs, mine = new_code("rmt"), new_code("rmm")
    for code in (theirs, mine):
        assert import_community(stack, admin_key, small_community(code)).status_code == 200
    document = small_community(theirs)
    (person,) = [p for p in document["people"] if p["id"] == f"{theirs}-v1"]
    (grid,) = [a for a in document["areas"] if a["code"] == f"{theirs}-g2"]
    (rota,) = [r for r in document["rotas"] if r["id"] == f"{theirs}:fix-g2"]
    rehomed = {
        "people": {
            **person,
            "community": mine,
            "home_grids": [f"{mine}-g1"],
            "contacts": [{"channel": "webhook", "address": "https://attacker.example/x"}],
        },
        "areas": {**grid, "parent": mine},
        "rotas": {**rota, "community": mine, "grids": [f"{mine}-g2"], "crews": [[f"{mine}-v4"]]},
    }
    limited = keys.issue(["admin"], [mine])
    for section, row in rehomed.items():
        for dry_run in (True, False):
            answer = import_community(stack, limited, {section: [row]}, dry_run=dry_run)
            assert answer.status_code == 403, (section, dry_run, answer.text)
            assert theirs not in answer.text  # the other community is not named
    admin = client(admin_key)
    stored = admin.get(f"{roster(stack)}/v1/people/{theirs}-v1", timeout=5).json()
    assert (stored["community_id"], stored["contacts"]) == (theirs, person["contacts"])
    area = admin.get(f"{roster(stack)}/v1/areas/{theirs}-g2", timeout=5).json()
    assert (area["parent"], area["community_id"]) == (theirs, theirs)

    both = keys.issue(["admin"], [mine, theirs])
    moved = import_community(stack, both, {"people": [rehomed["people"]]}, dry_run=True)
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved"] == [
        {"kind": "people", "key": f"{theirs}-v1", "from": theirs, "to": mine}
    ]


def test_the_cli_lists_the_records_an_import_moves_and_its_dry_run_moves_none(
    stack, admin_key, tmp_path
):
    theirs, mine = new_code("rct"), new_code("rcm")
    for code in (theirs, mine):
        assert import_community(stack, admin_key, small_community(code)).status_code == 200
    (person,) = [p for p in small_community(theirs)["people"] if p["id"] == f"{theirs}-v1"]
    row = {**person, "community": mine, "home_grids": [f"{mine}-g1"]}
    (tmp_path / "move.yaml").write_text(yaml.safe_dump({"people": [row]}, allow_unicode=True))
    for args in (("--dry-run",), ()):
        ran = admin_cli(stack, "roster", "import", str(tmp_path), *args)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "records moved between communities" in ran.stdout and f"{theirs}-v1" in ran.stdout
        moved = client(admin_key).get(f"{roster(stack)}/v1/people/{theirs}-v1", timeout=5)
        assert moved.json()["community_id"] == (theirs if args else mine), args


# -- leave, covers, a restart -----------------------------------------------------------------


def test_leave_and_covers_survive_a_restart_and_a_new_import(stack, admin_key, keys, place):
    reader = keys.issue(["read"], [place])
    now = datetime.now(UTC)
    grid = f"{place}-g1"
    assert on_duty(stack, reader, grid) == {f"{place}-v1", f"{place}-v2", f"{place}-v3"}
    admin = client(admin_key)
    leave = admin.post(
        f"{roster(stack)}/v1/people/{place}-v1/leave",
        json={
            "start": now.isoformat(),
            "end": (now + timedelta(days=1)).isoformat(),
            "reason": "探亲",
        },
        timeout=10,
    )
    assert leave.status_code == 201, leave.text
    cover = admin.post(
        f"{roster(stack)}/v1/rotas/{place}:fix-g1/overrides",
        json={
            "kind": "cover",
            "person_id": f"{place}-v4",
            "replaces": f"{place}-v2",
            "start": now.isoformat(),
            "end": (now + timedelta(days=1)).isoformat(),
        },
        timeout=10,
    )
    assert cover.status_code == 201, cover.text
    expected = {f"{place}-v3", f"{place}-v4"}
    assert on_duty(stack, reader, grid) == expected

    stack.stop("roster")
    stack.start("roster")
    stack.wait_ready(["roster"])
    assert import_community(stack, admin_key, small_community(place)).status_code == 200

    assert on_duty(stack, reader, grid) == expected
    person = client(reader).get(f"{roster(stack)}/v1/people/{place}-v1", timeout=5).json()
    assert [entry["id"] for entry in person["leave"]] == [leave.json()["id"]]
    assert person["display_name"] == "测***" and person["phone"] == "138****0000"


def test_the_rota_check_reports_the_gap_leave_opens(stack, admin_key, keys, place):
    reader = keys.issue(["read"], [place])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    checked = (
        client(reader)
        .get(
            f"{roster(stack)}/v1/rota-check",
            params={"community_id": place, "from": start.isoformat(), "days": 2},
            timeout=10,
        )
        .json()
    )
    assert checked["gaps"] == []
    assert {load["rota_id"]: load["uneven"] for load in checked["loads"]}[
        f"{place}:fix-g1"
    ] is False
    away = (start + timedelta(hours=3), start + timedelta(hours=5))
    response = client(admin_key).post(
        f"{roster(stack)}/v1/people/{place}-v4/leave",
        json={"start": away[0].isoformat(), "end": away[1].isoformat()},
        timeout=10,
    )
    assert response.status_code == 201
    checked = (
        client(reader)
        .get(
            f"{roster(stack)}/v1/rota-check",
            params={"community_id": place, "from": start.isoformat(), "days": 2},
            timeout=10,
        )
        .json()
    )
    assert [(g["grid_id"], g["team"], g["hours"]) for g in checked["gaps"]] == [
        (f"{place}-g2", "fix", 2.0)
    ]


# -- sign-in, reminders, no-shows ---------------------------------------------------------------


def test_signing_in_and_out_changes_who_is_on_duty_and_is_published(
    stack, keys, place, roster_events
):
    actor = keys.issue(["act", "read"], [place])
    token = keys.person_token(f"{place}-v4", "volunteer", [place])
    volunteer = client(actor, token)
    grid = f"{place}-g1"
    signed = volunteer.post(
        f"{roster(stack)}/v1/duty/check-in", json={"rota_id": f"{place}:fix-g1"}, timeout=10
    )
    assert signed.status_code == 200, signed.text
    assert f"{place}-v4" in on_duty(stack, actor, grid)
    roster_events.wait(
        "four on duty", "duty.changed", lambda p: p["grid_id"] == grid and p["on_duty"] == 4
    )
    out = volunteer.post(
        f"{roster(stack)}/v1/duty/check-out", json={"rota_id": f"{place}:fix-g1"}, timeout=10
    )
    assert out.status_code == 200
    assert f"{place}-v4" not in on_duty(stack, actor, grid)
    roster_events.wait(
        "three again",
        "duty.changed",
        lambda p: p["grid_id"] == grid and p["on_duty"] == 3,
        count=2,
    )
    someone_else = volunteer.post(
        f"{roster(stack)}/v1/duty/check-in",
        json={"rota_id": f"{place}:fix-g1", "person_id": f"{place}-v1"},
        timeout=10,
    )
    assert someone_else.status_code == 403


def test_a_shift_is_announced_before_it_starts_and_a_missed_sign_in_is_a_no_show(
    stack, admin_key, keys, roster_events
):
    code = new_code("rs")
    starts = (datetime.now(SHANGHAI) + timedelta(seconds=15)).replace(microsecond=0)
    document = small_community(code, shift_reminder="1m", no_show_after="3s")
    document["rotas"].append(
        {
            "id": f"{code}:patrol",
            "community": code,
            "team": "fix",
            "grids": [f"{code}-g2"],
            "starts": (starts.date() - timedelta(days=1)).isoformat(),
            "check_in": "required",
            "slots": [
                f"FREQ=DAILY;BYHOUR={starts.hour};BYMINUTE={starts.minute};"
                f"BYSECOND={starts.second} for 1h"
            ],
            "crews": [[f"{code}-v2"]],
        }
    )
    assert import_community(stack, admin_key, document).status_code == 200
    reader = keys.issue(["read"], [code])
    (reminder,) = roster_events.wait(
        "the reminder",
        "shift.starting",
        lambda p: p["person_id"] == f"{code}-v2" and p["grid_id"] == f"{code}-g2",
    )
    assert datetime.fromisoformat(reminder["starts_at"]) == starts
    wait_until(
        "the no-show to be recorded",
        lambda: (
            f"{code}-v2" not in on_duty(stack, reader, f"{code}-g2")
            and datetime.now(SHANGHAI) > starts + timedelta(seconds=3)
        ),
        timeout=45,
    )
    assert on_duty(stack, reader, f"{code}-g2") == {f"{code}-v4"}
    recorded = client(reader).get(f"{roster(stack)}/v1/people/{code}-v2/no-shows", timeout=5)
    assert [(n["rota_id"], n["start"]) for n in recorded.json()["no_shows"]] == [
        (f"{code}:patrol", starts.astimezone(UTC).isoformat())
    ]


# -- keys, the feed ---------------------------------------------------------------------------


def test_another_communitys_people_are_not_found_and_staff_actions_need_staff(stack, keys, place):
    other = keys.issue(["read", "act"], ["jingxiang"])
    assert client(other).get(f"{roster(stack)}/v1/people/{place}-v1", timeout=5).status_code == 404
    assert requests.get(f"{roster(stack)}/v1/people/{place}-v1", timeout=5).status_code == 401
    assert (
        client(other)
        .get(
            f"{roster(stack)}/v1/on-duty",
            params={"grid_id": f"{place}-g1", "team": "fix"},
            timeout=5,
        )
        .status_code
        == 404
    )
    mine = keys.issue(["act", "read"], [place])
    volunteer = client(mine, keys.person_token(f"{place}-v1", "volunteer", [place]))
    leave = volunteer.post(
        f"{roster(stack)}/v1/people/{place}-v2/leave",
        json={"start": "2026-01-01T00:00:00+00:00", "end": "2026-01-02T00:00:00+00:00"},
        timeout=5,
    )
    assert leave.status_code == 403
    bad = client(mine).post(
        f"{roster(stack)}/v1/people/{place}-v2/leave",
        json={"start": "2026-01-02T00:00:00+00:00", "end": "2026-01-01T00:00:00+00:00"},
        timeout=5,
    )
    assert bad.status_code == 400 and "end" in bad.json()["error"]["fields"]


def test_each_person_has_an_icalendar_feed_behind_a_signed_url(stack, keys, place):
    mine = keys.issue(["read"], [place])
    own = client(mine, keys.person_token(f"{place}-v1", "volunteer", [place]))
    url = own.get(f"{roster(stack)}/v1/people/{place}-v1/rota-feed", timeout=5).json()["url"]
    feed = requests.get(url, timeout=10)  # a calendar app sends no key
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert events and all("维修" in str(event["SUMMARY"]) for event in events)
    assert requests.get(url[:-3] + "xyz", timeout=5).status_code == 401
    other = own.get(f"{roster(stack)}/v1/people/{place}-v2/rota-feed", timeout=5)
    assert other.status_code == 403


def test_a_rota_feed_url_can_be_reset_by_its_person_or_staff_and_the_old_one_stops(
    stack, admin_key, keys, place
):
    mine = keys.issue(["read", "act"], [place])
    own = client(mine, keys.person_token(f"{place}-v1", "volunteer", [place]))
    feed = f"{roster(stack)}/v1/people/{place}-v1/rota-feed"
    first = own.get(feed, timeout=5).json()["url"]
    assert requests.get(first, timeout=10).status_code == 200

    neighbour = client(mine, keys.person_token(f"{place}-v2", "volunteer", [place]))
    assert neighbour.post(f"{feed}/reset", timeout=5).status_code == 403
    elsewhere = client(
        keys.issue(["read", "act"], ["jingxiang"]),
        keys.person_token("p-staff-1", "staff", ["jingxiang"]),
    )
    assert elsewhere.post(f"{feed}/reset", timeout=5).status_code == 404
    assert requests.get(first, timeout=10).status_code == 200  # neither changed it

    reset = own.post(f"{feed}/reset", timeout=5)
    assert reset.status_code == 200, reset.text
    second = reset.json()["url"]
    assert second != first and requests.get(first, timeout=10).status_code == 401
    assert requests.get(second, timeout=10).status_code == 200
    staff = client(mine, keys.person_token(f"{place}-staff", "staff", [place]))
    third = staff.post(f"{feed}/reset", timeout=5).json()["url"]
    assert requests.get(second, timeout=10).status_code == 401
    assert requests.get(third, timeout=10).status_code == 200

    (row,) = [p for p in small_community(place)["people"] if p["id"] == f"{place}-v1"]
    left = import_community(stack, admin_key, {"people": [{**row, "active": False}]})
    assert left.status_code == 200, left.text
    assert requests.get(third, timeout=10).status_code == 401  # no longer with the community


# -- the data layer's rule -------------------------------------------------------------------


def test_a_dispatch_reads_and_writes_by_id_only(stack, amqp_uri, place, roster_events):
    """The query log of the stack (lianxin.store.query_log.QueryLog) shows the shape of every filter
    roster sends: while a case is dispatched, declined and offered again, none but `_id`
    (the shared lease sweeper's look at its own small collection aside; inserts, logged
    for the bench's counts, have no filter)."""
    log = stack.state_dir / "queries.jsonl"
    before = log.stat().st_size
    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    publish(amqp_uri, case_event("case.triaged", case_id, place, 2))
    (offer,) = roster_events.wait("the offer", "offer.made", about_case(case_id))
    publish(
        amqp_uri,
        case_event(
            "case.declined",
            case_id,
            place,
            3,
            person_id=offer["person_id"],
            offer_id=offer["offer_id"],
        ),
    )
    roster_events.wait("the next offer", "offer.made", about_case(case_id), count=2)
    with log.open(encoding="utf-8") as lines:
        lines.seek(before)
        shapes = [json.loads(line) for line in lines if line.strip()]
    roster_db = f"{stack.db_prefix}roster"
    others = {
        (shape["collection"], shape["command"], tuple(shape["filter"]))
        for shape in shapes
        if shape["db"] == roster_db
        and shape["command"] != "insert"
        and shape["filter"] != ["_id"]
        and shape["collection"] != "leases"
    }
    assert others == set()
    assert any(shape["db"] == roster_db and shape["collection"] == "dispatches" for shape in shapes)
