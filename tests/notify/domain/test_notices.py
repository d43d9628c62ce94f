"""A notice's rules as plain Python: whom an audience covers, which unit leaders' group
speaks for a unit, who may send where, how deliveries and reads are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notify.domain.delivery import Contact, Delivery, Recipient
from services.notify.domain.notice_links import NoticeLinkRefused, NoticeLinks
from services.notify.domain.notices import (
    BATCH,
    AreaTree,
    UnknownAudience,
    audience_of,
    batches_of,
    counts,
    may_send_to,
    merged,
    summed,
    unit_groups,
)
from services.notify.domain.people import Person, QuietHours, hold

AT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


def node(kind: str, parent: str | None, community: str = "jx", removed: bool = False) -> dict:
    return {"kind": kind, "parent": parent, "community_id": community, "name": kind,
            "removed": removed}  # fmt: skip


TREE = AreaTree(
    {
        "jx": node("community", "sub"),
        "jx-g1": node("grid", "jx"),
        "jx-g2": node("grid", "jx"),
        "jx-e1": node("estate", "jx-g1"),
        "jx-b1": node("building", "jx-e1"),
        "jx-b1-u1": node("unit", "jx-b1"),
        "jx-b1-u2": node("unit", "jx-b1"),
        "jx-b2": node("building", "jx-e1"),
        "jx-b2-u1": node("unit", "jx-b2"),
        "jx-b2-u9": node("unit", "jx-b2", removed=True),
        "jx-b3": node("building", "jx-g2"),
        "jx-b3-u1": node("unit", "jx-b3"),
        "other-b1": node("building", "other", community="other"),
    }
)


def test_an_audience_covers_the_live_units_at_and_under_it():
    assert audience_of(TREE, "jx", "unit", "jx-b1-u2").units == ("jx-b1-u2",)
    assert audience_of(TREE, "jx", "building", "jx-b1").units == ("jx-b1-u1", "jx-b1-u2")
    assert audience_of(TREE, "jx", "building", "jx-b2").units == ("jx-b2-u1",), "not removed"
    grid = audience_of(TREE, "jx", "grid", "jx-g1")
    assert grid.units == ("jx-b1-u1", "jx-b1-u2", "jx-b2-u1") and grid.grid_id == "jx-g1"
    whole = audience_of(TREE, "jx", "community", "jx")
    assert len(whole.units) == 4 and whole.grid_id is None


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("building", "jx-b1-u1"),  # a unit named as a building
        ("unit", "jx-b9-u1"),  # not in the registry
        ("building", "other-b1"),  # another community's
        ("community", "other"),
        ("unit", "jx-b2-u9"),  # removed
        ("estate", "jx-e1"),  # not a kind a notice goes to
    ],
)
def test_an_audience_outside_the_registry_is_refused(kind, code):
    with pytest.raises(UnknownAudience):
        audience_of(TREE, "jx", kind, code)


def test_a_unit_is_reached_by_its_own_group_else_its_building_s_else_its_estate_s():
    units = ["jx-b1-u1", "jx-b1-u2", "jx-b2-u1", "jx-b3-u1"]
    groups = unit_groups(TREE, units, ["jx-b1-u1", "jx-b1", "jx-e1", "jx-g2", "staff"])
    assert groups == {"jx-b1-u1": ["jx-b1-u1"], "jx-b1": ["jx-b1-u2"], "jx-e1": ["jx-b2-u1"]}
    assert "jx-g2" not in groups, "a grid's group is the grid workers', not the unit leaders'"


def test_a_grid_worker_sends_inside_their_own_grids_only_and_staff_anywhere():
    in_g1 = audience_of(TREE, "jx", "building", "jx-b1")
    in_g2 = audience_of(TREE, "jx", "building", "jx-b3")
    whole = audience_of(TREE, "jx", "community", "jx")
    assert may_send_to("grid_worker", ["jx-g1"], in_g1)
    assert not may_send_to("grid_worker", ["jx-g1"], in_g2)
    assert not may_send_to("grid_leader", ["jx-g1", "jx-g2"], whole)
    assert may_send_to("staff", [], whole)


def test_recipients_are_cut_into_batches_each_once_groups_first():
    people = [f"p-{n:04d}" for n in range(BATCH + 5)] + ["p-0000"]
    batches = batches_of(["jx-b1", "jx-b1"], people)
    assert [len(batch) for batch in batches] == [BATCH, 6]
    assert batches[0][0].encoded() == "group:jx-b1"
    assert sum(r.channel == "sms" for batch in batches for r in batch) == BATCH + 5


def test_a_tally_entry_keeps_the_later_attempt_and_the_first_read_whatever_the_order():
    sent = {"channel": "sms", "state": "sent", "attempts": 1, "read_at": None}
    pending = {"channel": "sms", "state": "pending", "attempts": 0, "read_at": None}
    read = {**pending, "read_at": AT}
    assert merged(sent, pending)["state"] == "sent"
    assert merged(pending, sent)["state"] == "sent"
    assert merged(merged(sent, read), {**read, "read_at": AT + timedelta(hours=1)})["read_at"] == AT
    assert merged(read, sent) == {**sent, "read_at": AT}


def test_counts_per_channel_say_a_group_s_reads_are_unknown():
    entries = [
        {"channel": "group", "state": "sent", "read_at": None},
        {"channel": "sms", "state": "sent", "read_at": AT},
        {"channel": "sms", "state": "sent", "read_at": None},
        {"channel": "sms", "state": "dead", "read_at": None},
        {"channel": "sms", "state": "pending", "read_at": None},
    ]
    assert counts(entries, ("group", "sms")) == {
        "group": {"made": 1, "sent": 1, "failed": 0, "read": None},
        "sms": {"made": 4, "sent": 2, "failed": 1, "read": 1},
    }
    assert counts([], ("sms",)) == {"sms": {"made": 0, "sent": 0, "failed": 0, "read": 0}}


def notice_sms(urgent: bool) -> Delivery:
    return Delivery.over(
        [Contact("sms", "13912345678")], "NT-1/0", "notice", Recipient("person", "p-1", "侯**"),
        {}, AT, {"community_id": "jx"}, urgent=urgent,
    )  # fmt: skip


def test_a_notice_s_sms_waits_for_the_quiet_hours_to_end_unless_urgent_and_never_for_a_digest():
    person = Person("p-1", "jx", quiet_hours=QuietHours.parse("22:00-07:00"))
    assert hold(notice_sms(False), person, SHANGHAI, AT) == datetime(2026, 11, 22, 7, 0,
                                                                     tzinfo=SHANGHAI)  # fmt: skip
    assert hold(notice_sms(True), person, SHANGHAI, AT) == AT
    assert not notice_sms(False).may_wait_for_a_digest, "a digest would lose its text and link"


def test_a_reading_link_names_its_notice_and_delivery_until_it_expires():
    links = NoticeLinks("token-secret-0123456789abcdef")
    url = links.url("https://console.example.cn/", "NT-1", "DL-1", AT)
    token = url.removeprefix("https://console.example.cn/r/notice/")
    reader = links.read(token, AT + timedelta(days=29))
    assert (reader.notice_id, reader.delivery_id) == ("NT-1", "DL-1")
    with pytest.raises(NoticeLinkRefused):
        links.read(token, AT + timedelta(days=30))
    with pytest.raises(NoticeLinkRefused):
        links.read(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], AT)
    with pytest.raises(NoticeLinkRefused):
        NoticeLinks("another-secret-0123456789abcdef").read(token, AT)


def test_batches_counts_add_up_and_a_group_s_reads_stay_unknown():
    one = counts([{"channel": "group", "state": "sent"}, {"channel": "sms", "state": "sent",
                  "read_at": AT}], ())  # fmt: skip
    two = counts([{"channel": "sms", "state": "dead"}], ())
    assert summed([one, two], ("group", "sms")) == {
        "group": {"made": 1, "sent": 1, "failed": 0, "read": None},
        "sms": {"made": 2, "sent": 1, "failed": 1, "read": 1},
    }
