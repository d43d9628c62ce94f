"""Importing a community (services.roster.app.registry), on the in-memory store: a dry
run, rejected rows, importing again, records moved between communities, and what each
import publishes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lianxin.access.actors import Actor, Forbidden
from lianxin.access.tokens import PersonClaims, combine
from services.roster.admin import read
from services.roster.app import dispatch, duty, registry, views
from services.roster.domain.rows import rows_from_document
from tests.roster.app.case_events import (
    by_type,
    case_event,
)
from tests.roster.conftest import FRIDAY_NOON_UTC, SAMPLE


def test_a_dry_run_stores_nothing_and_a_real_run_stores_and_publishes_once(store, probe):
    rows = read([SAMPLE])
    dry = registry.import_rows(store, rows, dry_run=True, now=FRIDAY_NOON_UTC, communities=None)
    assert dry.plan.ok and not dry.applied
    assert store.db["areas"].count_documents({}) == 0 and probe() == []

    real = registry.import_rows(store, rows, dry_run=False, now=FRIDAY_NOON_UTC, communities=None)
    assert real.applied and real.changed["areas"] == dry.plan.counts()["areas"]
    events = probe()
    assert len(by_type(events, "area.changed")) == real.changed["areas"]
    changed = by_type(events, "person.changed")
    assert len(changed) == real.changed["people"]
    sample = next(e["payload"] for e in changed if e["payload"]["person_id"] == "p-repair-1")
    assert sample["display_name"].endswith("*") and sample["contacts"][0]["channel"] == "wecom"
    leader = next(e["payload"] for e in changed if e["payload"]["person_id"] == "p-ul-005")
    assert leader["unit_id"] == "jingxiang-b05-u1", "where a notice to building 5 texts"
    assert store.find("lookups", "grid:jingxiang-g1")["rotas"]

    again = registry.import_rows(store, rows, dry_run=False, now=FRIDAY_NOON_UTC, communities=None)
    assert sum(again.changed.values()) == 0
    assert by_type(probe(), "area.changed") == []


def test_nothing_is_stored_while_a_row_is_rejected(store):
    rows = rows_from_document(
        {"areas": [{"code": "x", "kind": "grid", "name": "孤网格"}]}, "bad.yaml"
    )
    result = registry.import_rows(store, rows, dry_run=False, now=FRIDAY_NOON_UTC, communities=None)
    assert not result.applied and result.plan.rejected[0].source == "bad.yaml: areas #1"
    assert store.find("areas", "x") is None


def test_importing_again_keeps_leave_overrides_and_open_cases(store, community):
    leave = duty.add_leave(
        store,
        "p-repair-2",
        FRIDAY_NOON_UTC,
        FRIDAY_NOON_UTC + timedelta(days=2),
        "病假",
        "staff",
        FRIDAY_NOON_UTC,
    )
    cover = duty.add_override(
        store,
        "jingxiang-g1:repair_crew",
        "cover",
        "p-repair-3",
        FRIDAY_NOON_UTC,
        FRIDAY_NOON_UTC + timedelta(hours=4),
        "p-repair-2",
        "换班",
        FRIDAY_NOON_UTC,
    )
    dispatch.on_case_event(
        store, case_event("case.accepted", "LX-KEEP", 1, person_id="p-repair-1"), FRIDAY_NOON_UTC
    )
    changed = rows_from_document(
        {
            "people": [
                {
                    "id": "p-repair-2",
                    "community": "jingxiang",
                    "name": "莫师傅",
                    "teams": ["repair_crew"],
                    "skills": ["plumber"],
                }
            ]
        },
        "people.yaml",
    )
    assert registry.import_rows(
        store, changed, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    assert registry.import_rows(
        store, read([SAMPLE]), dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    person = store.find("people", "p-repair-2")
    assert [entry["id"] for entry in person["leave"]] == [leave["id"]]
    assert [o.id for o in store.overrides_of("jingxiang-g1:repair_crew")] == [cover.id]
    assert store.find("people", "p-repair-1")["open_cases"] == ["LX-KEEP"]


def test_a_rota_left_from_the_pre_import_seed_does_not_stop_an_import(store, community):
    """The first release seeded rotas with `grid_id` and `shifts`; they are not rotas
    of the registry and are passed over, not a crash mid-import."""
    store.db["rotas"].insert_one(
        {
            "_id": "jingxiang-g1:mediation_desk",
            "community_id": "jingxiang",
            "team": "mediation_desk",
            "grid_id": "jingxiang-g1",
            "shifts": [],
        }
    )
    again = registry.import_rows(
        store, read([SAMPLE]), dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    )
    assert again.applied
    lookup = store.find("lookups", "grid:jingxiang-g1")
    assert "jingxiang-g1:mediation_desk" not in {entry["rota_id"] for entry in lookup["rotas"]}
    assert lookup["rotas"]  # the registry's own rotas are all still there


def test_access_since_moves_when_roles_or_active_change_and_not_for_a_contact_or_name(
    store, community, probe
):
    """person.changed carries when the person's access last changed: tokens, links and
    sessions issued before it are void (lianxin.access.person_access), so a new phone number
    must not sign a volunteer out, and a role taken away must."""
    assert store.find("people", "p-repair-2")["access_since"] == FRIDAY_NOON_UTC
    row = {
        "id": "p-repair-2",
        "community": "jingxiang",
        "name": "吕桂英",
        "roles": ["volunteer"],
        "teams": ["repair_crew"],
        "home_grids": ["jingxiang-g1"],
        "contacts": [{"channel": "sms", "address": "13807310999"}],
    }

    def imported(at, **changes) -> dict:
        rows = rows_from_document({"people": [{**row, **changes}]}, "people.yaml")
        assert registry.import_rows(store, rows, dry_run=False, now=at, communities=None).applied
        (changed,) = by_type(probe(), "person.changed")
        return changed["payload"]

    hour = timedelta(hours=1)
    same = imported(FRIDAY_NOON_UTC + hour, name="吕桂芳")  # a new number and name
    assert same["access_since"] == FRIDAY_NOON_UTC.isoformat()
    promoted = imported(FRIDAY_NOON_UTC + 2 * hour, name="吕桂芳", roles=["grid_worker"])
    assert promoted["access_since"] == (FRIDAY_NOON_UTC + 2 * hour).isoformat()
    gone = imported(FRIDAY_NOON_UTC + 3 * hour, name="吕桂芳", roles=["grid_worker"], active=False)
    assert gone["access_since"] == (FRIDAY_NOON_UTC + 3 * hour).isoformat()
    assert store.find("people", "p-repair-2")["access_since"] == FRIDAY_NOON_UTC + 3 * hour


def test_an_import_moves_another_communitys_record_only_with_both_communities(store, community):
    """The CLI's path (registry.import_rows), dry run or not: the operator covers every
    community and sees the move listed; a caller of one community is refused."""
    now = FRIDAY_NOON_UTC
    second = rows_from_document(
        {
            "areas": [
                {
                    "code": "c2",
                    "kind": "community",
                    "parent": "yuhuating",
                    "name": "二社区",
                    "timezone": "Asia/Shanghai",
                },
                {"code": "c2-g1", "kind": "grid", "parent": "c2", "name": "一网格"},
            ]
        },
        "c2.yaml",
    )
    assert registry.import_rows(store, second, dry_run=False, now=now, communities=None).applied
    move = rows_from_document(
        {"people": [{"id": "p-repair-2", "community": "c2", "name": "吕桂英"}]}, "move.yaml"
    )
    for dry_run in (True, False):
        with pytest.raises(Forbidden):
            registry.import_rows(store, move, dry_run=dry_run, now=now, communities={"c2"})
    assert store.find("people", "p-repair-2")["community_id"] == "jingxiang"

    checked = registry.import_rows(store, move, dry_run=True, now=now, communities=None)
    assert [(m.kind, m.key, m.source, m.destination) for m in checked.plan.moves] == [
        ("people", "p-repair-2", "jingxiang", "c2")
    ]
    assert store.find("people", "p-repair-2")["community_id"] == "jingxiang"
    both = {"jingxiang", "c2"}
    assert registry.import_rows(store, move, dry_run=False, now=now, communities=both).applied
    assert store.find("people", "p-repair-2")["community_id"] == "c2"
    assert "p-repair-2" not in [entry["id"] for entry in store.people_listing("jingxiang")]
    assert [entry["id"] for entry in store.people_listing("c2")] == ["p-repair-2"]


KEY = Actor("k", "console", frozenset({"read", "act"}), frozenset({"*"}))


def test_only_an_admin_key_or_a_staff_member_for_their_own_community_imports():
    """The console's key may act in every community, yet imports nothing on its own; with a
    staff member's token it imports into that member's community only."""
    admin = Actor("a", "admin", frozenset({"admin"}), frozenset({"jingxiang"}))
    assert registry.importing_communities(admin) == {"jingxiang"}
    staff = combine(KEY, PersonClaims("p-staff-1", "staff", frozenset({"jingxiang"}), None))
    assert registry.importing_communities(staff) == {"jingxiang"}
    worker = combine(KEY, PersonClaims("p-g1-gw-1", "grid_worker", frozenset({"jingxiang"}), None))
    reader = Actor(
        "r", "reader", frozenset({"read"}), frozenset({"jingxiang"}), "p-staff-1", "staff"
    )
    everywhere = combine(KEY, PersonClaims("p-staff-1", "staff", frozenset({"*"}), None))
    for refused in (KEY, worker, reader, everywhere):
        with pytest.raises(Forbidden):
            registry.importing_communities(refused)


def test_the_people_listing_follows_every_import_and_pages_by_id(store, community):
    admin = Actor("a", "admin", frozenset({"admin"}), frozenset({"*"}))
    query = {"community_id": "jingxiang", "limit": 200}
    before = views.people(store, query, KEY)
    total = before["total"]
    assert total == len(before["people"]) == community.plan.counts()["people"]
    listed = next(p for p in before["people"] if p["id"] == "p-g1-gw-1")
    assert listed["display_name"] == "尹**" and listed["phone"] == "138****0343"
    assert views.people(store, query, admin)["people"][0]["phone"].isdigit()

    added = {"id": "p-new-1", "community": "jingxiang", "name": "新人", "roles": "grid_worker",
             "home_grids": "jingxiang-g2", "phone": "13900000001"}  # fmt: skip
    rows = rows_from_document({"people": [added]}, "add.yaml")
    registry.import_rows(store, rows, dry_run=False, now=FRIDAY_NOON_UTC, communities=None)
    after = views.people(store, {**query, "grid_id": "jingxiang-g2", "role": "grid_worker"}, KEY)
    assert "p-new-1" in [p["id"] for p in after["people"]]
    assert views.people(store, {**query, "q": "新人"}, KEY)["total"] == 1

    first = views.people(store, {**query, "limit": 5}, KEY)
    second = views.people(store, {**query, "limit": 5, "after": first["next_after"]}, KEY)
    ids = [p["id"] for p in first["people"] + second["people"]]
    assert ids == sorted(ids) and len(set(ids)) == 10 and first["total"] == total + 1
    last = views.people(store, {**query, "after": ids[-1]}, KEY)
    assert last["next_after"] is None and len(last["people"]) == total + 1 - 10
    elsewhere = Actor("e", "elsewhere", frozenset({"read"}), frozenset({"c2"}))
    with pytest.raises(views.NotFound):
        views.people(store, query, elsewhere)


def test_a_listing_no_import_built_is_built_on_first_read(store, community):
    store.db["lookups"].delete_one({"_id": "people:jingxiang"})
    found = views.people(store, {"community_id": "jingxiang", "limit": 200}, KEY)
    assert found["total"] == community.plan.counts()["people"]
    assert store.people_listing("jingxiang") is not None
