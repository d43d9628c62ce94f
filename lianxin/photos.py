"""Photos as evidence, for every service that keeps them (cases' reports and steps, the
estate's pact observations): cleaning an upload into what is kept, and keeping its bytes.

Cleaning decodes the image with Pillow — refusing what is not a JPEG, PNG or WebP, or is
larger than MAX_PIXELS before decoding it — turns it upright by its EXIF orientation, and
encodes it again without any metadata: the resident's GPS position and the phone's serial
never reach the store. A larger photo is kept at FULL_EDGE on its longer side; the
thumbnail is made from the cleaned image.

The bytes are kept in parts of at most PART_BYTES, `_id` = `<photo>:<variant>:<n>`, read
by `_id`: GridFS's `files_id` query is a full scan on FerretDB. Who may read a photo is
the owning service's rule, held in its own photo records (PhotoParts keeps bytes only).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pymongo.collection import Collection

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # each, as sent
MAX_PIXELS = 50_000_000  # a decoded image larger than this is refused, not decoded
THUMBNAIL_EDGE = 320  # px, the longer edge
# px, the longer edge of the kept photo: a phone's 12-Mpx shot is kept at 2560×1920, enough
# to read a meter or see a crack, and about a third of the bytes to store and to send to a
# phone (reading one back costs in proportion to its bytes: docs/performance.md)
FULL_EDGE = 2560
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
VARIANTS = ("full", "thumb")
JPEG_QUALITY = 85
PART_BYTES = 1024 * 1024  # a photo's bytes per part document: 10 parts for the largest
# a photo is served with its own type, sniffed by nobody, cached by no shared cache (it
# shows a household's door or a resident's face) and run as nothing
PHOTO_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


class PhotoRefused(Exception):
    """The upload is not a photo we take (format, size, pixels, count): 400 with why."""

    def __init__(self, field: str, why: str):
        super().__init__(why)
        self.field = field

    def details(self) -> dict[str, object]:
        return {"fields": {self.field: [str(self)]}}


@dataclass(frozen=True)
class Cleaned:
    """An upload as it is kept: the image without metadata, and its thumbnail."""

    content_type: str
    full: bytes
    thumbnail: bytes
    width: int
    height: int


def check_size(size: int) -> None:
    if size > MAX_PHOTO_BYTES:
        raise PhotoRefused("photo", f"Each photo may be {MAX_PHOTO_BYTES // 2**20} MB at most.")
    if size == 0:
        raise PhotoRefused("photo", "An empty file is not a photo.")


def clean(data: bytes) -> Cleaned:
    """The photo re-encoded upright and without metadata, or PhotoRefused."""
    check_size(len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise PhotoRefused("photo", "Send a JPEG, PNG or WebP photo.")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused("photo", "The photo has too many pixels.")
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning,
            Image.DecompressionBombError, SyntaxError, ValueError):  # fmt: skip
        raise PhotoRefused("photo", "This file is not a photo we can read.") from None
    kind = image.format
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((FULL_EDGE, FULL_EDGE))  # only ever shrinks
    thumbnail = upright.copy()
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    return Cleaned(
        content_type=FORMATS[kind],
        full=_encode(upright, kind),
        thumbnail=_encode(thumbnail, kind),
        width=upright.width,
        height=upright.height,
    )


def _encode(image: Image.Image, kind: str) -> bytes:
    """The pixels alone: no EXIF, XMP, ICC or text chunks are passed on."""
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=JPEG_QUALITY)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


class PhotoParts:
    """A photo's cleaned bytes and thumbnail, in parts read by `_id`. Written once, before
    the owning service's record: a record always has its parts; parts left by a failed
    upload name no record and are never read."""

    def __init__(self, collection: Collection):
        self._parts = collection

    def add(self, photo_id: str, cleaned: Cleaned) -> None:
        for variant, data in zip(VARIANTS, (cleaned.full, cleaned.thumbnail), strict=True):
            self._parts.insert_many(
                [
                    {"_id": f"{photo_id}:{variant}:{n}", "data": data[start : start + PART_BYTES]}
                    for n, start in enumerate(range(0, len(data), PART_BYTES))
                ]
            )

    def content(self, photo_id: str, variant: str, size: int) -> bytes:
        """The `variant`'s bytes, `size` long as its record says."""
        count = max(1, -(-size // PART_BYTES))
        found = (self._parts.find_one({"_id": f"{photo_id}:{variant}:{n}"}) for n in range(count))
        return b"".join(bytes(part["data"]) for part in found if part)
