"""Photos of a case: what is taken, who may read one, and how a step names one. Plain Python.

A photo is uploaded first (POST /v1/photos) and named afterwards by the report or the
step it belongs to, as the attachment `photo:<id>` — a resident photographs the problem
before the case exists, a volunteer the result before resolving. Until then it is
*loose*: only its uploader (the same key, and the same person when one acted) may read it
or attach it. Attaching binds it to the case for good; from then on whoever may read the
case may read the photo, and nobody may attach it elsewhere.

What is kept is never the bytes sent: the image is decoded, turned upright, re-encoded
without its metadata (EXIF, GPS included) and a thumbnail made (lianxin.photos, Pillow).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from lianxin.photos import PhotoRefused

MAX_PHOTOS_PER_STEP = 9  # per upload and per report or step, as WeChat's picker allows
TAGS = ("report", "before", "after")  # what a photo shows: the problem, or the work
REFERENCE = re.compile(r"^photo:(ph_[A-Za-z0-9_-]{16,64})$")


class PhotoNotFound(Exception):
    """No photo, or one this caller may not see: the same answer (404), so ids cannot be
    probed."""


class PhotoNotAttachable(Exception):
    """A step names a photo that is not the caller's loose photo of that community."""

    def __init__(self, reference: str):
        super().__init__(f"{reference} is not a photo you uploaded for this community.")
        self.reference = reference

    def details(self) -> dict[str, object]:
        return {"fields": {"attachments": [str(self)]}}


@dataclass(frozen=True)
class Uploader:
    """Who uploaded: the key, and the person when one acted through it."""

    key_id: str
    person_id: str | None


@dataclass(frozen=True)
class Photo:
    """A stored photo's record; its bytes are kept apart, in parts (store.py)."""

    id: str
    community_id: str
    tag: str
    content_type: str
    width: int
    height: int
    size: int  # bytes of the cleaned full image
    thumbnail_size: int
    uploader: Uploader
    uploaded_at: datetime
    case_id: str | None = None  # None while loose

    def readable_by(self, uploader: Uploader) -> bool:
        """Whether a caller may read it without a case to judge by: its uploader only."""
        return self.case_id is None and self.uploader == uploader

    def attachable(self, uploader: Uploader, community_id: str, case_id: str | None = None) -> bool:
        """Whether `uploader` may name it in a report or step of `community_id`: their own
        photo of that community, loose or already bound to the same case (a retried
        request; before a report is kept its case is not known, `case_id` None)."""
        if self.uploader != uploader or self.community_id != community_id:
            return False
        return self.case_id is None or case_id is None or self.case_id == case_id

    def attach(self, case_id: str, uploader: Uploader, community_id: str) -> Photo:
        """The photo bound to `case_id`; again to the same case changes nothing (a retried
        report), anything else is refused."""
        if not self.attachable(uploader, community_id, case_id):
            raise PhotoNotAttachable(reference(self.id))
        return self if self.case_id == case_id else replace(self, case_id=case_id)


def new_photo_id() -> str:
    return "ph_" + secrets.token_urlsafe(18)


def reference(photo_id: str) -> str:
    return f"photo:{photo_id}"


def referenced(attachments: Iterable[str]) -> list[str]:
    """The photo ids a report's or a step's attachments name, in order, once each."""
    found: list[str] = []
    for attachment in attachments:
        match = REFERENCE.match(attachment)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def check_count(count: int) -> None:
    if count == 0:
        raise PhotoRefused("photo", "Send at least one photo (the form field `photo`).")
    if count > MAX_PHOTOS_PER_STEP:
        raise PhotoRefused("photo", f"At most {MAX_PHOTOS_PER_STEP} photos at once.")


def check_tag(tag: str) -> str:
    if tag not in TAGS:
        raise PhotoRefused("tag", f"One of {', '.join(TAGS)}.")
    return tag
