"""The pact's use cases on the in-memory store (services.estate.app.pact, pact_lists,
pact_photos, pact_places): who may record, see, answer, decide and publish, and what a
retried request does. Attacks: another community's staff, a unit leader outside their
units, a volunteer's token, a resident answering another household's observation, an
answer after the window, publishing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lianxin.access.actors import Actor, Forbidden
from lianxin.photos import PhotoRefused
from services.estate.app import pact, pact_lists, pact_photos, pact_places
from services.estate.domain import pact as rules
from services.estate.domain.pact_list import AlreadyPublished
from tests.cases.app.test_photos import jpeg_with_gps
from tests.estate.conftest import staff, volunteer

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 on 2 November in Changsha
LATER = NOW + timedelta(days=8)  # every window closed
LEADER_PHONE = "13907310007"  # p-ul-001's own household, jingxiang-b01-u1-203
NEIGHBOUR_PHONE = "13907311001"  # jingxiang-b01-u1-101
OTHER_UNIT_PHONE = "13907311011"  # jingxiang-b02-u1-301


def unit_leader(person: str = "p-ul-001", community: str = "jingxiang") -> Actor:
    return Actor("k-console", "console", frozenset({"read", "act"}), frozenset({community}),
                 person_id=person, role="unit_leader")  # fmt: skip


RESIDENTS = Actor("k-residents", "console-residents", frozenset({"report", "verify"}),
                  frozenset({"*"}))  # fmt: skip


def area(code, kind, name, parent, version=1, **more):
    return {"node": {"code": code, "kind": kind, "name": name, "parent": parent,
                     "community_id": "jingxiang", "polygon": [], **more},
            "removed": False, "area_version": version}  # fmt: skip


@pytest.fixture
def places(parts, sample):
    """Roster's areas as area.changed tells them: the community (its zone), an estate, two
    buildings and their first units with their leaders."""
    for payload in (
        area("jingxiang", "community", "井湘社区", "yuhuating", timezone="Asia/Shanghai"),
        area("jingxiang-e1", "estate", "井湘小区一区", "jingxiang-g1"),
        area("jingxiang-b01", "building", "1栋", "jingxiang-e1"),
        area("jingxiang-b01-u1", "unit", "1栋1单元", "jingxiang-b01", unit_leader="p-ul-001"),
        area("jingxiang-b02", "building", "2栋", "jingxiang-e1"),
        area("jingxiang-b02-u1", "unit", "2栋1单元", "jingxiang-b02", unit_leader="p-ul-002"),
    ):
        pact_places.on_area_changed(parts.store, payload)
    return parts


def body(household="jingxiang-b01-u1-101", kind="breach", **more):
    return {"community_id": "jingxiang", "household_id": household, "article_number": 1,
            "kind": kind, "seen": "楼道堆放纸箱", "seen_at": NOW - timedelta(hours=1),
            "photos": [], **more}  # fmt: skip


def record(parts, actor=None, key="k1", at=NOW, **more):
    actor = actor or unit_leader()
    observation_id = pact.observation_id_for(actor, key)
    return pact.record(parts.store, parts.pact, body(**more), actor, observation_id, at)


def test_a_unit_leader_records_for_a_household_of_their_unit_under_the_current_version(places):
    found, created = record(places)
    assert created and found.article_version == 1 and found.article_title == "楼道畅通"
    assert (found.place.building_name, found.place.unit_name, found.place.room) == (
        "1栋", "1栋1单元", "101",
    )  # fmt: skip
    assert found.quarter == "2026-Q4" and found.answer_until == NOW + timedelta(days=7)
    assert places.store.pact.observations.get(found.id) == found


def test_a_retry_with_the_same_key_finds_the_observation_and_another_body_is_refused(places):
    first, _ = record(places)
    again, created = record(places)
    assert again == first and not created
    with pytest.raises(pact.ObservationKeyReused):
        record(places, seen="另一件事")


def test_a_unit_leader_outside_their_units_finds_no_household(places):
    with pytest.raises(rules.PactNotFound):
        record(places, household="jingxiang-b02-u1-301")  # p-ul-002's unit
    with pytest.raises(rules.PactNotFound):
        record(places, actor=unit_leader("p-ul-002"), household="jingxiang-b01-u1-101")


def test_another_communitys_staff_and_a_volunteer_may_not_record(places):
    with pytest.raises(rules.PactNotFound):
        record(places, actor=staff("yuhua"))
    with pytest.raises(Forbidden):
        record(places, actor=volunteer())


def test_a_household_not_on_the_register_is_not_found(places):
    with pytest.raises(rules.PactNotFound):
        record(places, actor=staff(), household="jingxiang-b01-u1-999")


def test_a_photo_is_bound_once_and_only_its_uploader_may_name_it(places):
    store = places.store
    (photo,) = pact_photos.upload(store, [jpeg_with_gps(640, 480)], "jingxiang", unit_leader(),
                                  NOW)  # fmt: skip
    with pytest.raises(PhotoRefused):
        record(places, actor=staff(), key="k-staff", photos=[photo["_id"]])
    found, _ = record(places, photos=[photo["_id"]])
    assert store.pact.photos.get(photo["_id"])["observation_id"] == found.id
    assert record(places, photos=[photo["_id"]]) == (found, False)  # a retry finds it
    with pytest.raises(PhotoRefused):
        record(places, key="k2", photos=[photo["_id"]])  # bound to the first already


def test_a_volunteer_may_not_upload_evidence(places):
    with pytest.raises(Forbidden):
        pact_photos.upload(places.store, [jpeg_with_gps(64, 64)], "jingxiang", volunteer(), NOW)


def test_the_household_sees_and_answers_its_observations_only(places):
    mine, _ = record(places)
    theirs, _ = record(places, actor=staff(), key="k-other", household="jingxiang-b02-u1-301")
    households, seen = pact.household_observations(
        places.store, "jingxiang", NEIGHBOUR_PHONE, places.digest, RESIDENTS
    )
    assert households == ["jingxiang-b01-u1-101"] and [s.id for s in seen] == [mine.id]
    answer = {"community_id": "jingxiang", "phone": NEIGHBOUR_PHONE, "text": "已搬走"}
    with pytest.raises(rules.PactNotFound):
        pact.answer(places.store, theirs.id, answer, places.digest, RESIDENTS, NOW)
    answered = pact.answer(places.store, mine.id, answer, places.digest, RESIDENTS, NOW)
    assert answered.answer.text == "已搬走"


def test_an_answer_after_the_window_is_refused(places):
    mine, _ = record(places)
    answer = {"community_id": "jingxiang", "phone": NEIGHBOUR_PHONE, "text": "晚了"}
    with pytest.raises(rules.WindowClosed):
        pact.answer(places.store, mine.id, answer, places.digest, RESIDENTS, LATER)


def test_a_persons_token_does_not_speak_for_a_residents_number(places):
    record(places)
    with pytest.raises(Forbidden):
        pact.household_observations(places.store, "jingxiang", NEIGHBOUR_PHONE, places.digest,
                                    staff())  # fmt: skip


def test_staff_decide_after_the_window_and_another_community_finds_nothing(places):
    mine, _ = record(places)
    with pytest.raises(rules.WindowOpen):
        pact.decide(places.store, mine.id, "upheld", "", staff(), NOW)
    with pytest.raises(rules.PactNotFound):
        pact.decide(places.store, mine.id, "upheld", "", staff("yuhua"), LATER)
    with pytest.raises(Forbidden):
        pact.decide(places.store, mine.id, "upheld", "", unit_leader(), LATER)
    decided = pact.decide(places.store, mine.id, "upheld", "", staff(), LATER)
    assert rules.state_of(decided, LATER) == "upheld"


def test_a_unit_leader_sees_only_what_they_recorded(places):
    mine, _ = record(places)
    record(places, actor=staff(), key="k-staff", household="jingxiang-b02-u1-301")
    assert [s.id for s in pact.observations_of(places.store, "jingxiang", "2026-Q4",
                                               unit_leader())] == [mine.id]  # fmt: skip
    assert len(pact.observations_of(places.store, "jingxiang", "2026-Q4", staff())) == 2
    with pytest.raises(rules.PactNotFound):
        pact.observation_of(places.store, mine.id, unit_leader("p-ul-002"))


def test_publishing_freezes_the_quarter_once(places):
    for n in (1, 2):
        found, _ = record(places, key=f"k{n}")
        pact.decide(places.store, found.id, "upheld", "", staff(), LATER)
    published = pact_lists.publish(places.store, places.pact, "jingxiang", "2026-Q4", staff(),
                                   LATER)  # fmt: skip
    assert [(line.building, line.room, line.count) for line in published.black] == [
        ("1栋", "1**", 2)
    ]
    with pytest.raises(AlreadyPublished):
        pact_lists.publish(places.store, places.pact, "jingxiang", "2026-Q4", staff(), LATER)
    with pytest.raises(rules.QuarterPublished):
        record(places, key="k3", at=LATER)
    assert pact_lists.published(places.store, "jingxiang", "2026-Q4") == published


def test_an_edit_makes_a_version_and_later_observations_name_it(places):
    edited = pact.edit_article(places.store, places.pact, "jingxiang", "jingxiang-e1", 1,
                               {"title": "楼道畅通", "text": "新条文"}, staff(), NOW)  # fmt: skip
    assert edited.article(1).version == 2 and len(edited.current()) == 12
    found, _ = record(places, key="k-after")
    assert found.article_version == 2
    with pytest.raises(Forbidden):
        pact.edit_article(places.store, places.pact, "jingxiang", "jingxiang-e1", 1,
                          {"title": "x", "text": "y"}, unit_leader(), NOW)  # fmt: skip


def test_a_late_area_event_does_not_undo_a_newer_one(places):
    newer = area("jingxiang-b01-u1", "unit", "1栋1单元", "jingxiang-b01", version=2,
                 unit_leader="p-ul-009")  # fmt: skip
    pact_places.on_area_changed(places.store, newer)
    pact_places.on_area_changed(places.store, area("jingxiang-b01-u1", "unit", "1栋1单元",
                                "jingxiang-b01", unit_leader="p-ul-001"))  # fmt: skip
    assert pact_places.leads(places.store, "p-ul-009", "jingxiang-b01-u1")
    assert not pact_places.leads(places.store, "p-ul-001", "jingxiang-b01-u1")
