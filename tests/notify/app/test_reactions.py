"""What a case event, a hotline reply or a shift reminder makes happen (app/reactions.py):
who is told, over which channel, with which links, and that a redelivered event sends
nothing twice. On the in-memory store."""

from __future__ import annotations

from datetime import timedelta

from lianxin.access.case_pages import CasePageLinks
from lianxin.access.progress_links import ProgressLinks
from services.notify.app import reactions, replicas
from services.notify.domain.messages import Message
from tests.notify.app.conftest import (
    COMMUNITY,
    GRID,
    TOKEN_SECRET,
    case_event,
    dispatched,
    event,
    person_changed,
)


def add(store, envelope) -> None:
    replicas.apply_person(store, envelope.payload)


def test_a_dispatch_reaches_the_volunteer_by_their_first_channel_with_its_links(
    store, outbound, receivers, now
):
    add(store, person_changed("p-1", [("sms", "13912345678"), ("email", "a@b.cn")]))
    assert reactions.on_case_event(store, outbound, dispatched("p-1"), now) == 1
    [(delivery, message, target)] = receivers["sms"].sent
    assert (delivery.recipient.key, target.address) == ("p-1", "13912345678")
    assert store.deliveries.get(delivery.id).state == "sent"
    assert sorted(message.links) == ["accept", "decline", "page"]
    assert [c.channel for c in delivery.fallbacks] == ["email", "wecom"], "then the grid's group"
    assert "楼道灯坏" in message.text, "the category in words"


def test_the_case_page_link_names_the_person_and_the_case_and_is_the_sms_s_one_link(
    store, outbound, receivers, now
):
    """The SMS stays short: one link, to the case's page in the console, which the console
    reads with the services' token secret (lianxin.access.case_pages)."""
    add(store, person_changed("p-1", [("sms", "13912345678")]))
    reactions.on_case_event(store, outbound, dispatched("p-1"), now)
    [(_, message, _)] = receivers["sms"].sent
    page = message.links["page"]
    assert page.startswith("https://console.example.cn/v/")
    link = CasePageLinks("token-secret-0123456789abcdef").read(page.rsplit("/", 1)[-1], now())
    assert (link.person_id, link.case_id, link.issued_at) == ("p-1", "LX-1", now())
    assert link.expires_at == now() + timedelta(days=outbound.link_days)
    assert page in message.short and message.links["accept"] not in message.short
    assert page in message.text, "the Chinese and English texts name it too"


def test_a_group_s_copy_of_a_person_s_message_carries_no_case_page_link():
    mine = Message("s", "text https://c.example.cn/v/abc.def", "<p>x</p>", "s https://c.example.cn/v/abc",
                   {"page": "https://c.example.cn/v/abc"})  # fmt: skip
    theirs = mine.for_group("https://c.example.cn/cases/LX-1")
    assert "/v/" not in theirs.text + theirs.short and theirs.links == {}


def test_a_redelivered_event_sends_nothing_twice(store, outbound, receivers, now):
    add(store, person_changed("p-1", [("sms", "13912345678")]))
    told = dispatched("p-1")
    assert reactions.on_case_event(store, outbound, told, now) == 1
    assert reactions.on_case_event(store, outbound, told, now) == 0
    assert len(receivers["sms"].sent) == 1


def test_a_person_notify_does_not_know_is_told_through_their_grid_group_without_links(
    store, outbound, receivers, now
):
    assert reactions.on_case_event(store, outbound, dispatched("p-unknown"), now) == 1
    [(delivery, message, target)] = receivers["wecom"].sent
    assert delivery.contact.address == f"group:{COMMUNITY}/{GRID}"
    assert target.address == "https://robot.example.cn/send?key=g1"
    assert message.links == {}, "a group's copy never holds an action link"
    assert "https://console.example.cn/cases/LX-1" in message.text  # where staff act: sign in


def test_an_emergency_reaches_every_staff_member_and_the_groups(store, outbound, receivers, now):
    add(store, person_changed("p-staff", [("email", "staff@b.cn")], roles=("staff",)))
    created = reactions.on_case_event(
        store, outbound, case_event("case.emergency", priority="urgent"), now
    )
    assert created == 3
    assert [d.recipient.key for d, _, _ in receivers["email"].sent] == ["p-staff"]
    assert len(receivers["webhook"].sent) == 1, "the staff group"
    assert len(receivers["wecom"].sent) == 1, "the grid's group"


def test_a_resident_is_told_of_the_close_with_their_progress_link_only_with_consent(
    store, outbound, receivers, now
):
    contact = {"consent": True, "phone": "13800000000"}
    reactions.on_case_event(store, outbound, case_event("case.reported", contact=contact), now)
    reactions.on_case_event(store, outbound, case_event("case.closed", state="closed"), now)
    [(delivery, message, _)] = receivers["sms"].sent
    assert (delivery.recipient.kind, delivery.kind) == ("resident", "progress.closed")
    url = message.links["progress"]
    assert set(message.links) == {"progress"} and url in message.short
    assert url.startswith("https://console.example.cn/r/")
    reader = ProgressLinks(TOKEN_SECRET).read(url.rsplit("/", 1)[1], now())
    assert (reader.case_id, reader.is_reporter) == ("LX-1", True)
    reactions.on_case_event(
        store, outbound, case_event("case.reported", "LX-2", contact={"phone": "139"}), now
    )
    reactions.on_case_event(store, outbound, case_event("case.closed", "LX-2"), now)
    assert len(receivers["sms"].sent) == 1, "no consent, no message"


def test_a_merged_duplicates_reporter_follows_the_case_it_joined_by_their_own_link(
    store, outbound, receivers, now
):
    """Their link names the case they follow and the duplicate they reported: cases shows
    them that case as a follower's page (no rating, a private case's state only)."""
    contact = {"consent": True, "phone": "13800000001"}
    reactions.on_case_event(store, outbound, case_event("case.reported", "LX-1"), now)
    reactions.on_case_event(
        store, outbound, case_event("case.reported", "LX-2", contact=contact), now
    )
    merged = case_event("case.merged", "LX-2", into_case_id="LX-1", into_number="NT-1")
    reactions.on_case_event(store, outbound, merged, now)
    reactions.on_case_event(store, outbound, case_event("case.resolved", "LX-1"), now)
    links = ProgressLinks(TOKEN_SECRET)
    told = {d.kind: m.links["progress"] for d, m, _ in receivers["sms"].sent}
    assert set(told) == {"progress.merged", "progress.resolved"}
    own = links.read(told["progress.merged"].rsplit("/", 1)[1], now())
    assert (own.case_id, own.reported) == ("LX-2", "LX-2")
    joined = links.read(told["progress.resolved"].rsplit("/", 1)[1], now())
    assert (joined.case_id, joined.reported, joined.is_reporter) == ("LX-1", "LX-2", False)


def test_a_hotline_reply_goes_to_that_hotline_s_callback(store, outbound, receivers, now):
    reply = event(
        "hotline.reply",
        {
            "hotline_id": "changsha-12345",
            "order_no": "GD-1",
            "kind": "closed",
            "case_id": "LX-1",
            "community_id": COMMUNITY,
            "number": "NT-20261121-0001",
            "result": "修好了",
        },
        "LX-1",
    )
    assert reactions.on_hotline_reply(store, outbound, reply, now) == 1
    [(_, message, target)] = receivers["hotline"].sent
    assert target.address == "https://12345.example.cn/cb"
    assert message.facts["reply"]["order_no"] == "GD-1"


def test_a_shift_reminder_goes_to_the_person_s_own_channels_only(store, outbound, receivers, now):
    def starting(person_id: str):
        payload = {
            "person_id": person_id,
            "community_id": COMMUNITY,
            "starts_at": now().isoformat(),
        }
        return event("shift.starting", payload)

    add(store, person_changed("p-1", [("email", "a@b.cn")]))
    assert reactions.on_shift_starting(store, outbound, starting("p-2"), now) == 0, "unknown"
    assert reactions.on_shift_starting(store, outbound, starting("p-1"), now) == 1
    assert [d.kind for d, _, _ in receivers["email"].sent] == ["shift.starting"]
    assert receivers["wecom"].sent == [], "a group is not told"


def test_roster_s_people_and_places_are_kept_and_named_in_messages(store, outbound, receivers, now):
    grid = {"code": GRID, "kind": "grid", "parent": COMMUNITY, "community_id": COMMUNITY}
    area = event("area.changed", {"node": {**grid, "name": "第一网格"}, "area_version": 1})
    volunteer = person_changed("p-1", [("sms", "13912345678")])
    assert reactions.on_roster_event(store, outbound, area, now) == 0
    assert reactions.on_roster_event(store, outbound, volunteer, now) == 0
    assert store.person("p-1").contacts[0].address == "13912345678"
    reactions.on_case_event(store, outbound, dispatched("p-1"), now)
    [(_, message, _)] = receivers["sms"].sent
    assert "第一网格" in message.text, "the grid by its name"


PRIVATE = {
    "category": "dispute.family",
    "category_label": {"zh": "家庭纠纷", "en": "family dispute"},
    "description": "302室夫妻吵架，孩子在哭 13812345678",
    "place": "7栋3单元302室",
    "private": True,
}


def test_a_private_case_reaches_a_group_as_a_notice_without_its_details(
    store, outbound, receivers, now
):
    """A dispute or a care visit told to the grid's group (an overdue case, an offer to a
    person notify cannot reach) says that it needs attention and where to look, and
    nothing of what it is about: not the text, the category, the flat or a number."""
    assert reactions.on_case_event(store, outbound, dispatched("p-unknown", **PRIVATE), now) == 1
    overdue = case_event("case.overdue", "LX-2", overdue=True, which="accept", **PRIVATE)
    reactions.on_case_event(store, outbound, overdue, now)
    sent = receivers["wecom"].sent
    assert len(sent) == 2 and all(d.contact.address.startswith("group:") for d, _, _ in sent)
    for delivery, message, _ in sent:
        shown = " ".join((message.subject, message.text, message.html, message.short,
                          str(message.facts), str(delivery.message)))  # fmt: skip
        details = ("302", "吵架", "家庭纠纷", "family dispute", "dispute.family", "7栋", "5678")
        for detail in details:
            assert detail not in shown, detail
        assert "NT-20261121-0001" in message.text and "隐私" in message.text
        assert f"https://console.example.cn/cases/{delivery.case_id}" in message.text
        assert message.links == {}


def test_the_assignee_still_gets_a_private_cases_details_on_their_own_channel(
    store, outbound, receivers, now
):
    add(store, person_changed("p-1", [("sms", "13912345678")]))
    reactions.on_case_event(store, outbound, dispatched("p-1", **PRIVATE), now)
    [(_, message, target)] = receivers["sms"].sent
    assert target.address == "13912345678" and "家庭纠纷" in message.text
    assert sorted(message.links) == ["accept", "decline", "page"]


def test_a_missed_care_round_reminds_the_carer_then_tells_the_grid_worker_alone(
    store, outbound, receivers, now
):
    def missed(stage: str, person_id: str | None):
        payload = {
            "plan_id": "CP-0123456789abcdef", "round_id": "CP-0123456789abcdef:2026-03-07",
            "community_id": COMMUNITY, "grid_id": GRID, "carer_id": "p-1", "kind": "call",
            "due_at": now().isoformat(), "stage": stage, "person_id": person_id,
        }  # fmt: skip
        return event("care.round_missed", payload)

    add(store, person_changed("p-1", [("email", "carer@b.cn")]))
    add(store, person_changed("p-gw", [("email", "gw@b.cn")]))
    assert reactions.on_roster_event(store, outbound, missed("grid_worker", None), now) == 0
    reminder = missed("carer", "p-1")
    assert reactions.on_roster_event(store, outbound, reminder, now) == 1
    assert reactions.on_roster_event(store, outbound, reminder, now) == 0, "once"
    assert reactions.on_roster_event(store, outbound, missed("grid_worker", "p-gw"), now) == 1
    made = {d.kind: d for d in store.deliveries.query({})}  # sent when due (digests may wait)
    assert {kind: d.contact.address for kind, d in made.items()} == {
        "care.round_missed": "carer@b.cn", "care.round_missed_grid": "gw@b.cn",
    }  # fmt: skip
    assert all(not d.fallbacks for d in made.values()), "a group is never told who is looked after"
    assert "邻里守望" in made["care.round_missed"].message["text"]
