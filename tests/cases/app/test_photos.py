"""Photos on the in-memory store: what is kept of an upload (no metadata, upright, a
thumbnail), who reads it, and binding it to a case."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from lianxin.photos import FULL_EDGE, THUMBNAIL_EDGE, clean
from services.cases.app import photos
from services.cases.domain.photos import (
    MAX_PHOTOS_PER_STEP,
    PhotoNotAttachable,
    PhotoNotFound,
    PhotoRefused,
    Uploader,
    reference,
)

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
VOLUNTEER = Uploader("key-volunteers", "p-1")
OTHER = Uploader("key-volunteers", "p-2")
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(width: int = 1200, height: int = 800, orientation: int = 1) -> bytes:
    """A phone's photo: EXIF with the place it was taken and the camera's orientation."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (28.0, 11.0, 30.0), 3: "E", 4: (112.0, 58.0, 5.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "13812345678 3栋2单元")
    out = io.BytesIO()
    Image.new("RGB", (50, 40), (0, 90, 0)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_a_photo_is_kept_without_its_metadata_upright_and_with_a_thumbnail():
    sent = jpeg_with_gps(orientation=6)  # taken with the phone turned: shown rotated
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)
    kept = clean(sent)
    full = Image.open(io.BytesIO(kept.full))
    assert (kept.width, kept.height) == (800, 1200) == full.size
    assert not full.getexif() and "exif" not in full.info
    assert kept.content_type == "image/jpeg"
    thumbnail = Image.open(io.BytesIO(kept.thumbnail))
    assert max(thumbnail.size) == THUMBNAIL_EDGE and thumbnail.size[0] < thumbnail.size[1]
    assert not thumbnail.getexif()


def test_a_camera_sized_photo_is_kept_at_the_full_edge_and_a_small_one_as_sent():
    kept = clean(jpeg_with_gps(4032, 3024, orientation=6))
    assert (kept.width, kept.height) == (FULL_EDGE * 3 // 4, FULL_EDGE)
    assert Image.open(io.BytesIO(kept.full)).size == (kept.width, kept.height)
    assert clean(jpeg_with_gps(640, 480)).width == 640


def test_a_png_keeps_no_text_chunk():
    kept = clean(png_with_text())
    shown = Image.open(io.BytesIO(kept.full))
    assert kept.content_type == "image/png" and "Comment" not in shown.info
    assert b"13812345678" not in kept.full


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not a photo",
        b"GIF89a" + b"\x00" * 40,
        jpeg_with_gps()[:300],  # cut off
    ],
    ids=["pdf", "gif", "truncated"],
)
def test_what_is_not_a_whole_jpeg_png_or_webp_is_refused(data):
    with pytest.raises(PhotoRefused):
        clean(data)


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (9000, 6000)).save(out, "PNG")  # 54 megapixels in a few kilobytes
    with pytest.raises(PhotoRefused) as refused:
        clean(out.getvalue())
    assert "pixels" in str(refused.value)


def upload(parts, uploader=VOLUNTEER, count=1, community="jingxiang"):
    files = [jpeg_with_gps(320, 240) for _ in range(count)]
    return photos.upload(
        parts.photos, files, community, "after", uploader, lambda c: c == "jingxiang", NOW
    )


def test_a_loose_photo_is_read_by_its_uploader_and_nobody_else(parts):
    [kept] = upload(parts)
    nobody = lambda case_id: False  # noqa: E731
    photo, content = photos.read(parts.photos, kept.id, "full", VOLUNTEER, nobody)
    assert photo == kept and Image.open(io.BytesIO(content)).size == (320, 240)
    for reader in (OTHER, Uploader("key-app", None)):
        with pytest.raises(PhotoNotFound):
            photos.read(parts.photos, kept.id, "full", reader, nobody)
    with pytest.raises(PhotoNotFound):
        photos.read(parts.photos, "ph_" + "x" * 24, "full", VOLUNTEER, nobody)


def test_an_upload_is_refused_whole_for_another_community_or_one_bad_file(parts):
    with pytest.raises(PhotoRefused):
        upload(parts, community="elsewhere")
    with pytest.raises(PhotoRefused):
        upload(parts, count=MAX_PHOTOS_PER_STEP + 1)
    with pytest.raises(PhotoRefused):
        photos.upload(parts.photos, [jpeg_with_gps(), b"not a photo"], "jingxiang", "after",
                      VOLUNTEER, lambda c: True, NOW)  # fmt: skip
    assert parts.photos.photos.count() == 0


def test_an_attached_photo_is_read_by_whoever_may_read_its_case_and_bound_once(parts):
    first, second = upload(parts, count=2)
    named = [reference(first.id), reference(second.id)]
    photos.check_attachable(parts.photos, named, "jingxiang", VOLUNTEER)
    photos.attach(parts.photos, named, "c-1", "jingxiang", VOLUNTEER)
    photos.attach(parts.photos, named, "c-1", "jingxiang", VOLUNTEER)  # a retry: no change
    reader = Uploader("key-staff", "p-staff")
    _, content = photos.read(parts.photos, first.id, "thumb", reader, lambda c: c == "c-1")
    assert Image.open(io.BytesIO(content)).size[0] <= THUMBNAIL_EDGE
    with pytest.raises(PhotoNotFound):  # cannot read the case: cannot read its photo
        photos.read(parts.photos, first.id, "full", reader, lambda c: False)
    with pytest.raises(PhotoNotAttachable):  # bound for good
        photos.attach(parts.photos, named, "c-2", "jingxiang", VOLUNTEER)
    assert parts.photos.get(first.id).case_id == "c-1"


def test_a_step_cannot_name_someone_elses_photo(parts):
    [theirs] = upload(parts, uploader=OTHER)
    with pytest.raises(PhotoNotAttachable):
        photos.check_attachable(parts.photos, [reference(theirs.id)], "jingxiang", VOLUNTEER)
    with pytest.raises(PhotoNotAttachable):
        photos.check_attachable(parts.photos, ["photo:ph_" + "y" * 24], "jingxiang", VOLUNTEER)
    assert parts.photos.get(theirs.id).case_id is None
