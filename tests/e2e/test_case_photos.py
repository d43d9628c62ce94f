"""Photos on the running services: uploaded as multipart, kept without their metadata, named
by a report and by the resolving step, read by whoever may read the case — and by nobody
else, whatever key they hold."""

from __future__ import annotations

import io
import os

import pytest
import requests
from PIL import Image

from tests.cases.app.test_photos import GPS_IFD, jpeg_with_gps
from tests.e2e.cases_support import People
from tests.e2e.conftest import community, get_case, report_body

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crew(stack, keys) -> People:
    return People(stack, keys, community("photo"))


def upload(stack, headers, place, *files: bytes, tag="report", name="photo.jpg"):
    return requests.post(
        f"{stack.url('cases')}/v1/photos",
        data={"community_id": place, "tag": tag},
        files=[("photo", (name, data, "image/jpeg")) for data in files],
        headers=headers,
        timeout=30,
    )


def read(stack, headers, photo: dict, thumbnail: bool = False):
    url = photo["thumbnail_url"] if thumbnail else photo["url"]
    return requests.get(f"{stack.url('cases')}{url}", headers=headers, timeout=10)


def noise_png(megabytes: float) -> bytes:
    """A picture that does not compress, lossless: about `megabytes` as sent and as kept,
    so it is stored in several parts."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_residents_photo_is_kept_clean_named_by_the_report_and_read_through_the_case(
    stack, crew, keys
):
    answer = upload(stack, crew.hotline, crew.place, jpeg_with_gps(orientation=6))
    assert answer.status_code == 201, answer.text
    [photo] = answer.json()["photos"]
    assert photo["case_id"] is None and (photo["width"], photo["height"]) == (800, 1200)
    kept = read(stack, crew.hotline, photo)
    assert kept.status_code == 200 and kept.headers["Content-Type"] == "image/jpeg"
    assert kept.headers["X-Content-Type-Options"] == "nosniff"
    assert not Image.open(io.BytesIO(kept.content)).getexif().get_ifd(GPS_IFD)
    # loose, it is its uploader's alone: staff of the same community do not see it yet
    assert read(stack, crew.staff, photo).status_code == 404
    case = crew.report(attachments=[photo["reference"]])
    assert photo["reference"] in case["attachments"]
    for headers in (crew.staff, crew.hotline):
        assert read(stack, headers, photo, thumbnail=True).status_code == 200
    # another community's key: the same answer as for a photo that does not exist
    outsider = People(stack, keys, community("photo-other"))
    assert read(stack, outsider.staff, photo).status_code == 404
    assert (
        read(
            stack, outsider.staff, {**photo, "url": "/v1/photos/ph_nothing_here_at_all"}
        ).status_code
        == 404
    )
    # and it cannot be named again by another report, even by its uploader
    again = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json={
            **report_body(crew.place, description="另一处路灯不亮"),
            "attachments": [photo["reference"]],
        },
        headers=crew.hotline,
        timeout=10,
    )
    assert again.status_code == 400 and "attachments" in again.json()["error"]["fields"]
    assert get_case(stack, case["id"])["attachments"] == case["attachments"]


def test_the_assignee_resolves_with_an_after_photo_and_nobody_else_can_name_it(stack, crew):
    case, volunteer = crew.accepted()
    mine = upload(stack, volunteer, crew.place, noise_png(3), tag="after")
    assert mine.status_code == 201, mine.text
    [after] = mine.json()["photos"]
    assert after["size"] > 1024 * 1024  # kept in more than one part
    # the reporter's app key cannot attach the volunteer's photo to anything
    stolen = crew.post(case["id"], "resolve", crew.hotline,
                       {"resolution": "修好了", "attachments": [after["reference"]]})  # fmt: skip
    assert stolen.status_code in (400, 403)
    assert read(stack, crew.staff, after).status_code == 404  # still loose: nothing bound
    resolved = crew.post(
        case["id"],
        "resolve",
        volunteer,
        {"resolution": "换了灯泡", "attachments": [after["reference"]]},
    )
    assert resolved.status_code == 200, resolved.text
    step = resolved.json()["timeline"][-1]
    assert step["action"] == "resolve" and after["reference"] in step["attachments"]
    whole = read(stack, crew.staff, after)
    assert whole.status_code == 200 and len(whole.content) == after["size"]
    assert Image.open(io.BytesIO(whole.content)).size == (after["width"], after["height"])


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ((b"%PDF-1.7 not a photo",), "photo"),
        ((), "photo"),
        ((jpeg_with_gps(64, 64),) * 10, "photo"),
    ],
    ids=["not-a-photo", "none", "ten"],
)
def test_what_is_not_one_to_nine_photos_is_refused_with_its_field_and_nothing_kept(
    stack, crew, db, files, field
):
    before = db("cases")["photos"].count_documents({})
    answer = upload(stack, crew.hotline, crew.place, *files)
    assert answer.status_code == 400 and field in answer.json()["error"]["fields"]
    assert db("cases")["photos"].count_documents({}) == before


def test_an_upload_needs_a_key_that_reports_or_acts_for_that_community(stack, crew, keys):
    reader = keys.issue(["read"], [crew.place], name="photo-reader")
    answer = upload(stack, {"X-Api-Key": reader}, crew.place, jpeg_with_gps(64, 64))
    assert answer.status_code == 403
    elsewhere = upload(stack, crew.hotline, "somewhere-else", jpeg_with_gps(64, 64))
    assert elsewhere.status_code == 400 and "community_id" in elsewhere.json()["error"]["fields"]
    assert requests.post(f"{stack.url('cases')}/v1/photos", timeout=10).status_code == 401


def test_a_public_requests_photo_is_its_open311_media_url_and_a_private_ones_is_nobodys(
    stack, crew
):
    """The public reads a photo only through a public request; a dispute's photo, or one
    no report named yet, is the 404 of a photo that does not exist."""
    media = f"{stack.url('cases')}/open311/v2/media"
    [public_photo, private_photo, loose] = [
        upload(stack, crew.hotline, crew.place, jpeg_with_gps(64, 48)).json()["photos"][0]
        for _ in range(3)
    ]
    public = crew.report(attachments=[public_photo["reference"]])
    crew.report(
        description="楼上邻居半夜吵架 neighbours quarrel at night",
        category="dispute.neighbour",
        attachments=[private_photo["reference"]],
    )
    listed = requests.get(
        f"{stack.url('cases')}/open311/v2/requests/{public['number']}.json",
        params={"jurisdiction_id": crew.place},
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    media_url = listed.json()[0]["media_url"]
    assert media_url == f"{media}/{public_photo['id']}"
    shown = requests.get(media_url, timeout=10)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(shown.content)).size == (64, 48)
    for hidden in (private_photo, loose):
        assert requests.get(f"{media}/{hidden['id']}", timeout=10).status_code == 404
    # a key that may read the dispute reads its photo there too
    assert requests.get(f"{media}/{private_photo['id']}", headers=crew.staff, timeout=10).ok


def test_a_private_cases_details_and_photos_are_for_its_assignee_and_officials_only(stack, crew):
    """Another volunteer's token reads that the dispute exists, not what it is about."""
    photo = upload(stack, crew.hotline, crew.place, jpeg_with_gps(64, 48)).json()["photos"][0]
    case, assignee = crew.accepted(
        description="楼上邻居半夜吵架 neighbours quarrel at night",
        category="dispute.neighbour",
        attachments=[photo["reference"]],
    )
    assert case["private"] is True
    other = crew.volunteer(
        crew.id("repair-7" if case["assignee"] != crew.id("repair-7") else "repair-6")
    )
    url = f"{stack.url('cases')}/v1/cases/{case['id']}"
    seen = requests.get(url, headers=other, timeout=10).json()
    assert (seen["number"], seen["state"]) == (case["number"], case["state"])
    assert seen["description"] == "" and seen["attachments"] == [] and seen["reporter"] is None
    assert read(stack, other, photo).status_code == 404
    for insider in (assignee, crew.staff):
        detailed = requests.get(url, headers=insider, timeout=10).json()
        assert "吵架" in detailed["description"] and detailed["attachments"]
        assert read(stack, insider, photo).status_code == 200
