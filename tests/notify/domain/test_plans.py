"""Who is told, over which channels: plain Python, no I/O."""

from __future__ import annotations

from datetime import time

from services.notify.domain.delivery import Contact
from services.notify.domain.people import Person, QuietHours
from services.notify.domain.plans import Reachable, for_group, for_person, for_resident, staff_plans

NIGHT = QuietHours(time(22, 0), time(7, 0))
REACH = Reachable(
    channels=frozenset({"sms", "email", "webhook", "wecom", "dingtalk"}),
    groups={"jx": {"jx-g1": "wecom", "staff": "webhook"}},
    default_webhook=True,
)
SMS = Contact("sms", "13912345678")
MAIL = Contact("email", "a@b.cn")


def person(*contacts: Contact, active: bool = True, roles=("volunteer",)) -> Person:
    return Person("p-1", "jx", "石**", tuple(roles), ("jx-g1",), tuple(contacts), NIGHT, active)


def test_a_person_is_tried_by_their_channels_in_order_then_by_their_grid_group():
    plan = for_person(person(SMS, MAIL), "p-1", "石**", "jx", "jx-g1", REACH, "t", False)
    assert plan.chain == (SMS, MAIL, Contact("wecom", "group:jx/jx-g1"))
    assert plan.person is not None and plan.recipient.key == "p-1"


def test_a_channel_this_deployment_cannot_send_on_is_skipped():
    reach = Reachable(frozenset({"webhook"}), REACH.groups, True)
    plan = for_person(person(SMS, MAIL), "p-1", "石**", "jx", "jx-g1", reach, "t", False)
    assert plan.chain == (Contact("wecom", "group:jx/jx-g1"),)
    assert plan.person is None, "quiet hours and the rate limit are for a person's own channels"


def test_an_unknown_or_inactive_person_is_reached_through_the_group_or_the_default_webhook():
    inactive = for_person(person(SMS, active=False), "p-1", "", "jx", "jx-g1", REACH, "t", False)
    assert inactive.chain == (Contact("wecom", "group:jx/jx-g1"),)
    unknown = for_person(None, "p-9", "", "elsewhere", "g", REACH, "t", False)
    assert unknown.chain == (Contact("webhook", "group:*/default"),)
    nowhere = Reachable(frozenset({"sms"}))
    assert for_person(None, "p-9", "", "elsewhere", "g", nowhere, "t", False) is None


def test_a_resident_is_told_only_with_consent_and_only_on_their_own_channels():
    given_contact = {"phone": "13700001111", "email": "r@x.cn", "consent": True}
    plan = for_resident("LX-1", given_contact, REACH, "progress.resolved")
    assert plan.chain == (Contact("sms", "13700001111"), Contact("email", "r@x.cn"))
    assert for_resident("LX-1", {**given_contact, "consent": False}, REACH, "t") is None
    assert for_resident("LX-1", None, REACH, "t") is None
    assert (
        for_resident("LX-1", given_contact, Reachable(frozenset({"webhook"}), {}, True), "t")
        is None
    ), "never through a group"


def test_staff_are_told_one_by_one_and_through_the_staff_group():
    staff = [person(MAIL, roles=("staff",)), person(active=False, roles=("staff",))]
    plans = staff_plans("jx", staff, "jx-g1", REACH, "alert", urgent=True)
    assert [plan.chain for plan in plans] == [(MAIL,), (Contact("webhook", "group:jx/staff"),)]
    assert all(plan.urgent for plan in plans)


def test_a_group_falls_back_to_the_community_default_then_the_deployment_default():
    reach = Reachable(frozenset(), {"jx": {"default": "dingtalk"}}, True)
    assert for_group("jx", ["jx-g2"], reach, "t", False).chain == (
        Contact("dingtalk", "group:jx/default"),
    )
    assert for_group("other", ["g"], reach, "t", False).chain == (
        Contact("webhook", "group:*/default"),
    )


def test_a_contact_this_service_cannot_address_is_passed_over():
    """roster may list a phone line or a malformed address: SMS takes digits, e-mail an
    address, a robot a URL or the id of a robot in the routes."""
    contacts = [
        Contact("phone", "13807310336"),
        Contact("sms", "call me"),
        Contact("email", "not-an-address"),
        Contact("wecom", "not an id"),
        SMS,
    ]
    assert REACH.direct(contacts, ("wecom", "phone", "sms", "email")) == [SMS]


def test_a_robot_named_by_id_is_tried_when_the_routes_name_it_and_reported_when_not():
    """The sample's `wecom:g1-leader` was silently skipped: now it is sent to when the
    community's routes name that robot, and otherwise listed as unresolved (app/deliveries.py
    counts and logs it) while the next channel takes the message."""
    robot = Contact("wecom", "g1-leader")
    named = Reachable(REACH.channels, REACH.groups, True, {"jx": {"g1-leader": "wecom"}})
    leader = person(robot, SMS)
    plan = for_person(leader, "p-1", "石**", "jx", "jx-g1", named, "t", False)
    assert plan.chain[:2] == (robot, SMS) and plan.unresolved == ()

    unnamed = for_person(leader, "p-1", "石**", "jx", "jx-g1", REACH, "t", False)
    assert unnamed.chain[0] == SMS and unnamed.unresolved == (robot,)
    dingtalk_only = Reachable(REACH.channels, REACH.groups, True, {"jx": {"g1-leader": "dingtalk"}})
    assert for_person(leader, "p-1", "", "jx", "jx-g1", dingtalk_only, "t", False).unresolved == (
        robot,
    ), "a WeCom id never resolves to a DingTalk robot"
    elsewhere = Reachable(REACH.channels, REACH.groups, True, {"other": {"g1-leader": "wecom"}})
    assert for_person(leader, "p-1", "", "jx", "jx-g1", elsewhere, "t", False).unresolved == (
        robot,
    ), "nor to another community's"
