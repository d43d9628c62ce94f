"""A resident's progress page and rating, through the link a progress message carried
(rules: domain/progress.py; the link: lianxin.access.progress_links).

The link is the only credential: a link altered, never issued, expired, or naming a case
it does not belong to reads as no page at all (CaseNotFound, 404), the same answer for
every reason. Everything is read by `_id`: the case, a follower's own duplicate, the
photos the page shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lianxin.access.progress_links import ProgressLinkRefused, ProgressLinks, ProgressReader
from services.cases.app import actions, photos
from services.cases.domain import progress
from services.cases.domain.case import Case, CaseNotFound
from services.cases.domain.photos import Photo, PhotoNotFound
from services.cases.store import CaseStore, PhotoStore


def reader_of(links: ProgressLinks, token: str, now: datetime) -> ProgressReader:
    try:
        return links.read(token, now)
    except ProgressLinkRefused:
        raise CaseNotFound("progress") from None


def case_of(store: CaseStore, reader: ProgressReader) -> Case:
    """The case the link shows, once the link holds for it."""
    case = store.get(reader.case_id)
    if case is None:
        raise CaseNotFound(reader.case_id)
    reported = None if reader.is_reporter else store.get(reader.reported)
    progress.check_reader(case, reader, reported)
    return case


def view(store: CaseStore, photo_store: PhotoStore, reader: ProgressReader) -> dict[str, Any]:
    """The progress page's content for the link's reader."""
    case = case_of(store, reader)
    steps = progress.photo_steps(case) if progress.sees_details(case, reader) else []
    tags = {}
    for photo_id, _ in steps:
        photo = photo_store.get(photo_id)
        if photo is not None and photo.case_id == case.id:
            tags[photo_id] = photo.tag
    timezone = store.community_map(case.community_id).timezone
    return progress.progress_view(case, reader, progress.with_tags(steps, tags), timezone)


def rate(
    store: CaseStore,
    reader: ProgressReader,
    body: Mapping[str, Any],
    correlation_id: str | None,
    now: datetime,
    request_key: str | None,
) -> Case:
    """The reporter's rating under the case's lease; the same form sent twice (its
    Idempotency-Key) rates once and answers the case as it is."""
    case_of(store, reader)
    request = (
        {"key": f"progress:{reader.case_id}:{request_key}", "action": "rate"}
        if request_key
        else None
    )
    return actions.act(
        store,
        reader.case_id,
        lambda community_id: True,  # the link names its case: no key's communities to judge
        correlation_id,
        now,
        lambda case, at: progress.rate(
            case, reader, body["rating"], body.get("comment", ""), at
        ),
        request,
    )


def photo(
    store: CaseStore, photo_store: PhotoStore, reader: ProgressReader, photo_id: str, variant: str
) -> tuple[Photo, bytes]:
    """A photo the page shows, and no other: of this case, of its report or a resolve step,
    and only where the reader sees the details."""
    case = case_of(store, reader)
    shown = progress.sees_details(case, reader) and progress.shown_photo(
        progress.photo_steps(case), photo_id
    )
    if not shown:
        raise PhotoNotFound(f"No photo {photo_id}.")
    return photos.read(photo_store, photo_id, variant, None, lambda case_id: case_id == case.id)
