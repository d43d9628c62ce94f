"""Activities as roster runs them (services.roster.app.activities), on the in-memory twin:
publish once per request, places of the community only, a sign-up for the last place
won by one, a check-in credited into the one hours ledger exactly once; and on the real
FerretDB, two sign-ups for the last place at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from lianxin.access.actors import Actor
from services.roster.app import activities, hours, views
from services.roster.domain import activities as rules
from services.roster.domain.activities import ActivityFull, HoursRule, OutsideWindow
from tests.roster.conftest import FRIDAY_NOON_UTC

STAFF = Actor("k", "console", frozenset({"read", "act"}), frozenset({"jingxiang"}),
              person_id="p-staff-1", role="staff")  # fmt: skip
ELSEWHERE = Actor("k", "console", frozenset({"read", "act"}), frozenset({"elsewhere"}),
                  person_id="p-staff-9", role="staff")  # fmt: skip
STARTS = FRIDAY_NOON_UTC + timedelta(days=1)
ENDS = STARTS + timedelta(hours=2)


def volunteer(person_id: str) -> Actor:
    return Actor("k", "console", frozenset({"read", "act"}), frozenset({"jingxiang"}),
                 person_id=person_id, role="volunteer")  # fmt: skip


CAPPED = HoursRule("length", cap_minutes=90)


def draft(capacity: int = 1, rule: HoursRule = CAPPED, **more):
    fields = {
        "community_id": "jingxiang",
        "kind": "cleanup",
        "title": "清洁家园 第一网格",
        "places": ("jingxiang-g1",),
        "starts_at": STARTS,
        "ends_at": ENDS,
        "capacity": capacity,
        "rule": rule,
    }
    return activities.Draft(**{**fields, **more})


def published(store, capacity: int = 1, key: str = "k:1"):
    return activities.publish(store, draft(capacity), STAFF, key, FRIDAY_NOON_UTC)


def test_a_request_publishes_once_and_lists_the_activity(store, community, probe):
    made = published(store)
    again = published(store)
    assert again == made
    assert [e["type"] for e in probe()] == ["activity.published"]
    listed = activities.listing(store, "jingxiang", volunteer("p-g1-red-1"), FRIDAY_NOON_UTC)
    assert [a.id for a in listed] == [made.id]
    with pytest.raises(activities.ActivityKeyReused):
        activities.publish(store, draft(capacity=5), STAFF, "k:1", FRIDAY_NOON_UTC)


def test_places_are_the_communitys_and_another_community_sees_nothing(store, community):
    with pytest.raises(activities.UnknownPlace):
        activities.publish(store, draft(places=("nowhere",)), STAFF, "k:2", FRIDAY_NOON_UTC)
    made = published(store)
    with pytest.raises(views.NotFound):
        activities.publish(store, draft(), ELSEWHERE, "k:3", FRIDAY_NOON_UTC)
    with pytest.raises(activities.ActivityNotFound):
        activities.activity(store, made.id, ELSEWHERE)
    with pytest.raises(views.NotFound):
        activities.listing(store, "jingxiang", ELSEWHERE, None)


def test_the_last_place_goes_to_one(store, community):
    made = published(store, capacity=1)
    activities.sign_up(store, made.id, volunteer("p-g1-red-1"), FRIDAY_NOON_UTC)
    with pytest.raises(ActivityFull):
        activities.sign_up(store, made.id, volunteer("p-g1-red-2"), FRIDAY_NOON_UTC)
    activities.withdraw(store, made.id, volunteer("p-g1-red-1"), FRIDAY_NOON_UTC)
    signed = activities.sign_up(store, made.id, volunteer("p-g1-red-2"), FRIDAY_NOON_UTC)
    assert [s.person_id for s in signed.signups] == ["p-g1-red-2"]


def test_a_check_in_credits_the_ledger_once_by_the_rule(store, community, probe):
    me = volunteer("p-g1-red-1")
    made = published(store)
    activities.sign_up(store, made.id, me, FRIDAY_NOON_UTC)
    with pytest.raises(OutsideWindow):
        activities.check_in(store, made.id, me, FRIDAY_NOON_UTC)
    probe()
    entry = activities.check_in(store, made.id, me, STARTS + timedelta(minutes=3))
    again = activities.check_in(store, made.id, me, ENDS + timedelta(hours=5))  # a late retry
    assert entry == again
    assert (entry.minutes, entry.state, entry.case_id) == (90, "approved", None)
    assert entry.at == STARTS + timedelta(minutes=3)
    assert [e["type"] for e in probe()] == ["activity.attended", "hours.credited"]
    ledger = hours.ledger_of(store, person_id="p-g1-red-1")
    assert ledger["balance_minutes"] == 90 and len(ledger["entries"]) == 1


def test_a_check_in_after_a_crash_before_its_credit_credits_on_the_retry(store, community):
    me = volunteer("p-g1-red-1")
    made = published(store)
    activities.sign_up(store, made.id, me, FRIDAY_NOON_UTC)
    with store.activities.change(made.id) as change:  # the attendance saved, its credit not
        checked, _ = rules.check_in(change.value, "p-g1-red-1", STARTS)
        change.save(checked)
    assert hours.ledger_of(store, person_id="p-g1-red-1")["entries"] == []
    activities.check_in(store, made.id, me, ENDS + timedelta(minutes=1))
    assert hours.ledger_of(store, person_id="p-g1-red-1")["balance_minutes"] == 90


def test_a_long_activity_waits_for_staff_and_can_be_decided(store, community):
    me = volunteer("p-g1-red-1")
    rule = HoursRule("fixed", fixed_minutes=300)
    made = activities.publish(store, draft(rule=rule), STAFF, "k:long", FRIDAY_NOON_UTC)
    activities.sign_up(store, made.id, me, FRIDAY_NOON_UTC)
    entry = activities.check_in(store, made.id, me, STARTS)
    assert entry.state == "pending_approval"
    assert views.waiting_hours(store, "jingxiang", None, 50, STAFF)["waiting"] == 1
    decider = hours.Staff("p-staff-1", "p-staff-1", ["jingxiang"])
    hours.decide(store, entry.id, True, None, "ok", decider, STARTS)
    assert hours.ledger_of(store, person_id="p-g1-red-1")["balance_minutes"] == 300


def test_someone_of_another_community_cannot_sign_up(store, community):
    made = published(store)
    stranger = Actor("k", "console", frozenset({"read", "act"}), frozenset({"jingxiang"}),
                     person_id="p-unknown", role="volunteer")  # fmt: skip
    with pytest.raises(activities.ActivityNotFound):
        activities.sign_up(store, made.id, stranger, FRIDAY_NOON_UTC)


def test_two_sign_ups_for_the_last_place_at_once_one_wins(broker_store, broker_community):
    made = published(broker_store, capacity=1)

    def attempt(person_id: str) -> str:
        try:
            activities.sign_up(broker_store, made.id, volunteer(person_id), FRIDAY_NOON_UTC)
        except ActivityFull:
            return "full"
        return "signed"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(attempt, ["p-g1-red-1", "p-g1-red-2"]))
    assert outcomes == ["full", "signed"]
    assert len(broker_store.activities.get(made.id).signups) == 1


def test_a_retried_publish_finds_its_activity_on_the_real_store(broker_store, broker_community):
    odd = STARTS + timedelta(microseconds=123_456)  # FerretDB keeps milliseconds at most
    first = activities.publish(broker_store, draft(starts_at=odd), STAFF, "k:r", FRIDAY_NOON_UTC)
    again = activities.publish(broker_store, draft(starts_at=odd), STAFF, "k:r", FRIDAY_NOON_UTC)
    assert again == first and first.starts_at == STARTS
