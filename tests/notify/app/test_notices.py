"""A notice from sending to reading (app/notices.py), on the in-memory store: who it
reaches over which channel, that the fan-out is deadlines and not the request, quiet
hours, counting, reading once, and who may send where."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lianxin.access.actors import Actor, Forbidden
from services.notify.app import notices, pipeline, replicas
from services.notify.channels.registry import Channels
from services.notify.domain.notices import (
    NoticeKeyReused,
    NoticeNotFound,
    OutsideOwnGrids,
    UnknownAudience,
)
from services.notify.domain.routes import CommunityRoutes, GroupRoute, Routes
from tests.notify.app.conftest import COMMUNITY, ROUTES, deadlines

AREAS = [
    ("jx", "community", None),
    ("jx-g1", "grid", "jx"),
    ("jx-g2", "grid", "jx"),
    ("jx-b1", "building", "jx-g1"),
    ("jx-b1-u1", "unit", "jx-b1"),
    ("jx-b1-u2", "unit", "jx-b1"),
    ("jx-b2", "building", "jx-g1"),
    ("jx-b2-u1", "unit", "jx-b2"),
    ("jx-b3", "building", "jx-g2"),
    ("jx-b3-u1", "unit", "jx-b3"),
]
NIGHT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
STAFF = Actor("k-console", "console", frozenset({"read", "act"}), frozenset({COMMUNITY}),
              "p-staff", "staff")  # fmt: skip
GRID_WORKER = replace(STAFF, person_id="p-gw", role="grid_worker")


def draft(code: str = "jx-b1", **changes) -> dict:
    return {
        "community_id": COMMUNITY, "audience": "building", "code": code,
        "title": "停水通知", "body": "明日9:00–12:00停水检修。", "urgent": False,
        "channels": ["group", "sms"], **changes,
    }  # fmt: skip


def person(person_id: str, unit: str | None, roles=("volunteer",), sms: bool = True, **more):
    contacts = [{"channel": "sms", "address": f"139{abs(hash(person_id)) % 10**8:08d}"}] * sms
    return {
        "person_id": person_id, "community_id": COMMUNITY, "display_name": "侯**",
        "roles": list(roles), "teams": [], "home_grids": more.pop("grids", ["jx-g1"]),
        "contacts": contacts, "quiet_hours": more.pop("quiet", None), "active": True,
        "unit_id": unit, "person_version": more.pop("version", 1),
    }  # fmt: skip


@pytest.fixture
def area(store):
    for version, (code, kind, parent) in enumerate(AREAS, start=1):
        node = {"code": code, "kind": kind, "parent": parent, "community_id": COMMUNITY,
                "name": code, "households": None, "polygon": [], "timezone": None}  # fmt: skip
        replicas.apply_area(store, {"node": node, "removed": False, "area_version": version})
    for payload in (
        person("p-1", "jx-b1-u1", quiet="22:00-07:00"),
        person("p-2", "jx-b1-u2"),
        person("p-3", "jx-b2-u1"),  # the next building
        person("p-4", "jx-b1-u2", sms=False),  # known, no number
        person("p-staff", None, roles=("staff",)),
        person("p-gw", None, roles=("grid_worker",)),
    ):
        replicas.apply_person(store, payload)


@pytest.fixture
def unit_groups(outbound, receivers):
    """The routes file names a group for building jx-b1's unit leaders."""
    groups = {**ROUTES.communities[COMMUNITY].groups,
              "jx-b1": GroupRoute("wecom", "https://robot.example.cn/send?key=b1")}  # fmt: skip
    routes = Routes({COMMUNITY: CommunityRoutes("井湘社区", groups=groups)}, ROUTES.hotlines)
    return replace(outbound, routes=routes, channels=Channels(receivers, routes, "s" * 24, 5.0))


def fan_out(store, outbound, memory_backend, now) -> None:
    """Fire the deadlines the outbox published, as the broker would."""
    for deadline in deadlines(memory_backend, notices.PLAN):
        notices.plan(store, outbound, deadline)
    for deadline in deadlines(memory_backend, notices.BATCH):
        notices.send_batch(store, outbound, deadline, now)


def test_a_notice_to_a_building_reaches_its_unit_leaders_group_and_the_people_living_there(
    store, unit_groups, receivers, memory_backend, now, area
):
    sent = notices.send(store, unit_groups, STAFF, draft(), "form-1", now())
    assert receivers["sms"].sent == [] and sent.batches is None, "the request only stores it"
    fan_out(store, unit_groups, memory_backend, now)
    [(group, group_message, _)] = receivers["wecom"].sent
    assert group.recipient.key == "jx/jx-b1" and "停水检修" in group_message.text
    assert "/r/notice/" not in group_message.text, "a group's copy has no reading link"
    texted = {delivery.recipient.key: message for delivery, message, _ in receivers["sms"].sent}
    assert sorted(texted) == ["p-1", "p-2"], "not p-3 of the next building; p-4 has no number"
    assert "https://console.example.cn/r/notice/" in texted["p-1"].short
    assert texted["p-1"].short != texted["p-2"].short, "each SMS carries its own link"
    _, counts, readers = notices.shown(store, STAFF, sent.id)
    assert counts == {
        "group": {"made": 1, "sent": 1, "failed": 0, "read": None},
        "sms": {"made": 2, "sent": 2, "failed": 0, "read": 0},
    }
    assert readers == []
    [(_, listed)], _ = notices.listing(store, STAFF, COMMUNITY, None, 20)
    assert listed == counts, "the listing's sums say what the entries say"


def test_the_preview_counts_what_the_fan_out_will_make(store, unit_groups, area):
    shown = notices.preview(store, unit_groups, STAFF, COMMUNITY, "grid", "jx-g1")
    assert shown["units"] == 3 and shown["groups"] == 1 and shown["units_without_group"] == 1
    assert (shown["sms"], shown["people_without_sms"]) == (3, 1)


def test_a_link_s_get_counts_nothing_and_its_post_counts_once(
    store, unit_groups, receivers, memory_backend, now, area
):
    sent = notices.send(store, unit_groups, STAFF, draft(), "form-1", now())
    fan_out(store, unit_groups, memory_backend, now)
    short = next(m.short for d, m, _ in receivers["sms"].sent if d.recipient.key == "p-2")
    token = short.rsplit("/r/notice/", 1)[1]
    shown = notices.receipt(store, unit_groups, STAFF, token, now())
    assert (shown["title"], shown["read_at"]) == (sent.title, None)
    assert shown["community"] == "jx" and shown["timezone"] == "Asia/Shanghai"  # roster's name
    assert notices.shown(store, STAFF, sent.id)[1]["sms"]["read"] == 0
    first = notices.read(store, unit_groups, STAFF, token, now())["read_at"]
    now.advance(minutes=5)
    again = notices.read(store, unit_groups, STAFF, token, now())["read_at"]
    assert first == again == now.at - timedelta(minutes=5)
    _, counts, readers = notices.shown(store, STAFF, sent.id)
    assert counts["sms"]["read"] == 1 and readers == [{"name": "侯**", "read_at": first}]
    with pytest.raises(NoticeNotFound):
        notices.read(store, unit_groups, STAFF, token[:-3] + "xyz", now())
    other = replace(STAFF, communities=frozenset({"other"}))
    with pytest.raises(NoticeNotFound):
        notices.receipt(store, unit_groups, other, token, now())


def test_at_night_a_notice_s_sms_waits_for_the_quiet_hours_unless_urgent(
    store, unit_groups, receivers, memory_backend, now, area
):
    now.at = NIGHT
    notices.send(store, unit_groups, STAFF, draft(), "night", now())
    fan_out(store, unit_groups, memory_backend, now)
    assert [d.recipient.key for d, _, _ in receivers["sms"].sent] == ["p-2"], "p-1 is asleep"
    [held] = [d for d in deadlines(memory_backend, pipeline.ATTEMPT)]
    assert held.due_at == datetime(2026, 11, 21, 23, 0, tzinfo=UTC), "07:00 in Shanghai"
    assert len(receivers["wecom"].sent) == 1, "the group is told at once"
    pipeline.attempt(store, unit_groups, held, now)
    [notice] = store.notices_of(COMMUNITY, None, 10)
    assert notices.shown(store, STAFF, notice.id)[1]["sms"]["sent"] == 2, "the tally hears it"

    receivers["sms"].sent.clear()
    notices.send(store, unit_groups, STAFF, draft(urgent=True), "night-urgent", now())
    fan_out(store, unit_groups, memory_backend, now)
    assert "p-1" in [d.recipient.key for d, _, _ in receivers["sms"].sent], "urgent: at once"


def test_a_retried_send_or_a_redelivered_deadline_sends_nothing_twice(
    store, unit_groups, receivers, memory_backend, now, area
):
    first = notices.send(store, unit_groups, STAFF, draft(), "form-1", now())
    again = notices.send(store, unit_groups, STAFF, draft(), "form-1", now())
    assert first.id == again.id and len(deadlines(memory_backend, notices.PLAN)) == 1
    fan_out(store, unit_groups, memory_backend, now)
    fan_out(store, unit_groups, memory_backend, now)  # every deadline a second time
    assert len(receivers["sms"].sent) == 2 and len(receivers["wecom"].sent) == 1
    with pytest.raises(NoticeKeyReused):
        notices.send(store, unit_groups, STAFF, draft(title="另一件事"), "form-1", now())


def test_who_may_send_where_and_see_what(store, unit_groups, memory_backend, now, area):
    with pytest.raises(OutsideOwnGrids):
        notices.send(store, unit_groups, GRID_WORKER, draft("jx-b3"), "gw-1", now())
    with pytest.raises(OutsideOwnGrids):
        notices.send(store, unit_groups, GRID_WORKER, draft("jx", audience="community"), "gw-2",
                     now())  # fmt: skip
    mine = notices.send(store, unit_groups, GRID_WORKER, draft("jx-b2"), "gw-3", now())
    theirs = notices.send(store, unit_groups, STAFF, draft("jx-b3"), "staff-1", now())
    volunteer = replace(STAFF, person_id="p-1", role="volunteer")
    with pytest.raises(Forbidden):
        notices.send(store, unit_groups, volunteer, draft(), "vol-1", now())
    elsewhere = replace(STAFF, communities=frozenset({"other"}))
    with pytest.raises(NoticeNotFound):
        notices.send(store, unit_groups, elsewhere, draft(), "other-1", now())
    with pytest.raises(NoticeNotFound):
        notices.shown(store, elsewhere, mine.id)
    with pytest.raises(NoticeNotFound):
        notices.shown(store, GRID_WORKER, theirs.id)
    with pytest.raises(UnknownAudience):
        notices.send(store, unit_groups, STAFF, draft("jx-b9"), "staff-2", now())
    listed, _ = notices.listing(store, GRID_WORKER, COMMUNITY, None, 20)
    assert [notice.id for notice, _ in listed] == [mine.id]
    assert notices.listing(store, elsewhere, COMMUNITY, None, 20) == ([], None)
    page, cursor = notices.listing(store, STAFF, COMMUNITY, None, 1)
    assert len(page) == 1 and cursor == page[0][0].sent_at, "a full page names the next"


def test_a_person_who_moves_is_texted_at_their_new_home_whatever_order_roster_tells_it(
    store, unit_groups, area
):
    def texted(code: str) -> int:
        return notices.preview(store, unit_groups, STAFF, COMMUNITY, "building", code)["sms"]

    assert (texted("jx-b1"), texted("jx-b3")) == (2, 0)
    replicas.apply_person(store, person("p-2", "jx-b3-u1", version=3))
    replicas.apply_person(store, person("p-2", "jx-b1-u2", version=2))  # late, older
    assert (texted("jx-b1"), texted("jx-b3")) == (1, 1)
    replicas.apply_person(store, person("p-2", None, version=4))  # roster no longer knows
    assert (texted("jx-b1"), texted("jx-b3")) == (1, 0)


def test_a_notice_whose_area_left_the_registry_before_its_fan_out_reaches_no_one(
    store, unit_groups, receivers, memory_backend, now, area
):
    sent = notices.send(store, unit_groups, STAFF, draft("jx-b2"), "gone", now())
    node = {"code": "jx-b2", "kind": "building", "parent": "jx-g1", "community_id": COMMUNITY,
            "name": "jx-b2", "households": None, "polygon": [], "timezone": None}  # fmt: skip
    replicas.apply_area(store, {"node": node, "removed": True, "area_version": 99})
    fan_out(store, unit_groups, memory_backend, now)
    assert receivers["sms"].sent == [] and receivers["wecom"].sent == []
    assert store.notices.get(sent.id).planned == {"group": 0, "sms": 0}
