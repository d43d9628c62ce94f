"""The rules of a case's photos: who may read and attach one, and what a step names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lianxin.photos import MAX_PHOTO_BYTES, check_size
from services.cases.domain.photos import (
    MAX_PHOTOS_PER_STEP,
    Photo,
    PhotoNotAttachable,
    PhotoRefused,
    Uploader,
    check_count,
    check_tag,
    new_photo_id,
    reference,
    referenced,
)

RESIDENT_APP = Uploader("key-app", None)
VOLUNTEER = Uploader("key-volunteers", "p-1")
SAME_KEY_OTHER_PERSON = Uploader("key-volunteers", "p-2")


def photo(uploader: Uploader = VOLUNTEER, case_id: str | None = None, community="jingxiang"):
    return Photo(
        id=new_photo_id(), community_id=community, tag="after", content_type="image/jpeg",
        width=640, height=480, size=1000, thumbnail_size=100, uploader=uploader,
        uploaded_at=datetime(2026, 12, 6, tzinfo=UTC), case_id=case_id,
    )  # fmt: skip


def test_a_loose_photo_is_read_by_its_uploader_only_the_same_key_and_person():
    loose = photo()
    assert loose.readable_by(VOLUNTEER)
    assert not loose.readable_by(SAME_KEY_OTHER_PERSON)
    assert not loose.readable_by(RESIDENT_APP)


def test_an_attached_photo_is_read_through_its_case_not_by_being_its_uploader():
    assert not photo(case_id="c-1").readable_by(VOLUNTEER)


def test_only_the_uploader_attaches_a_loose_photo_and_only_within_its_community():
    loose = photo()
    assert loose.attach("c-1", VOLUNTEER, "jingxiang").case_id == "c-1"
    for uploader, community in ((SAME_KEY_OTHER_PERSON, "jingxiang"), (VOLUNTEER, "elsewhere")):
        with pytest.raises(PhotoNotAttachable):
            loose.attach("c-1", uploader, community)


def test_an_attached_photo_stays_with_its_case_and_attaching_again_changes_nothing():
    bound = photo(case_id="c-1")
    assert bound.attach("c-1", VOLUNTEER, "jingxiang") is bound
    with pytest.raises(PhotoNotAttachable):
        bound.attach("c-2", VOLUNTEER, "jingxiang")
    assert bound.attachable(VOLUNTEER, "jingxiang")  # a retried report: its case not known yet
    assert not bound.attachable(VOLUNTEER, "jingxiang", "c-2")


def test_a_step_names_photos_by_reference_once_each_and_other_attachments_are_not_photos():
    first, second = new_photo_id(), new_photo_id()
    named = [reference(first), "https://example.org/a.jpg", reference(second), reference(first)]
    assert referenced(named) == [first, second]
    assert referenced(["photo:../../etc", "photo:", "photo:ph_short"]) == []


def test_an_upload_has_one_to_nine_photos_of_at_most_ten_megabytes_each_and_a_known_tag():
    check_count(1)
    check_count(MAX_PHOTOS_PER_STEP)
    check_size(MAX_PHOTO_BYTES)
    check_tag("before")
    refused = [
        lambda: check_count(0),
        lambda: check_count(MAX_PHOTOS_PER_STEP + 1),
        lambda: check_size(MAX_PHOTO_BYTES + 1),
        lambda: check_size(0),
        lambda: check_tag("selfie"),
    ]
    for check in refused:
        with pytest.raises(PhotoRefused) as raised:
            check()
        assert raised.value.details()["fields"]
