"""Photos of a case: taking an upload (cleaned by lianxin.photos), reading one as its
caller may, and binding the photos a report or a step names to its case (rules:
domain/photos.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from lianxin.photos import clean
from services.cases.domain.case import CaseNotFound
from services.cases.domain.photos import (
    Photo,
    PhotoNotAttachable,
    PhotoNotFound,
    PhotoRefused,
    Uploader,
    check_count,
    check_tag,
    new_photo_id,
    reference,
    referenced,
)
from services.cases.store import PhotoStore

Visible = Callable[[str], bool]  # whether the caller sees a community


def upload(
    store: PhotoStore,
    files: list[bytes],
    community_id: str,
    tag: str,
    uploader: Uploader,
    visible: Visible,
    now: datetime,
) -> list[Photo]:
    """Keep each photo, loose until a report or a step names it. Every file is checked
    before any is kept: one bad photo refuses the upload."""
    if not visible(community_id):
        raise PhotoRefused("community_id", "This key does not cover that community.")
    check_count(len(files))
    check_tag(tag)
    cleaned = [clean(data) for data in files]
    photos = []
    for kept in cleaned:
        photo = Photo(
            id=new_photo_id(),
            community_id=community_id,
            tag=tag,
            content_type=kept.content_type,
            width=kept.width,
            height=kept.height,
            size=len(kept.full),
            thumbnail_size=len(kept.thumbnail),
            uploader=uploader,
            uploaded_at=now,
        )
        store.add(photo, kept)
        photos.append(photo)
    return photos


def read(
    store: PhotoStore,
    photo_id: str,
    variant: str,
    uploader: Uploader | None,
    case_visible: Callable[[str], bool],
) -> tuple[Photo, bytes]:
    """The photo's bytes for a caller who may see it: its uploader while it is loose,
    whoever may read its case once it is attached (`case_visible(case_id)`); the public
    (no uploader) only through a case."""
    photo = store.get(photo_id)
    loose_and_theirs = uploader is not None and photo is not None and photo.readable_by(uploader)
    if photo is None or not (
        loose_and_theirs or (photo.case_id is not None and case_visible(photo.case_id))
    ):
        raise PhotoNotFound(f"No photo {photo_id}.")
    return photo, store.content(photo, variant)


def check_attachable(
    store: PhotoStore, attachments: Iterable[str], community_id: str, uploader: Uploader
) -> None:
    """Refuse a report or step before it is kept if one photo it names could not be
    attached: not found, someone else's, of another community, or bound elsewhere."""
    for photo_id in referenced(attachments):
        photo = store.get(photo_id)
        if photo is None or not photo.attachable(uploader, community_id):
            raise PhotoNotAttachable(reference(photo_id))


def attach(
    store: PhotoStore,
    attachments: Iterable[str],
    case_id: str,
    community_id: str,
    uploader: Uploader,
) -> None:
    """Bind every photo the attachments name to the case, each under its lease, once the
    case is kept; one already bound to this case (a retried request) is left as it is."""
    for photo_id in referenced(attachments):
        with store.change(photo_id) as change:
            if change.value is None:
                raise PhotoNotAttachable(reference(photo_id))
            bound = change.value.attach(case_id, uploader, community_id)
            if bound is not change.value:
                change.save(bound)


def case_visible(get_case: Callable[[str], object]) -> Callable[[str], bool]:
    """Whether the caller may read a case, from the use case that reads one for it."""

    def visible(case_id: str) -> bool:
        try:
            get_case(case_id)
        except CaseNotFound:
            return False
        return True

    return visible
