"""Evidence photos of the pact's observations: uploaded before the observation that names
them, cleaned and kept by lianxin.photos (no metadata, upright, a thumbnail), bound to
the observation once.

A photo is loose until an observation names it: only its uploader (the same key and
person) may read it or name it, and only in its community. Bound, it is read by whoever
may see the observation (its community's staff, its recorder) and by the household it
is about (through the residents' key, app/pact.py). Anyone else gets 404, as for a photo
that does not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from lianxin.access.actors import Actor
from lianxin.photos import PhotoRefused, clean
from services.estate.domain.pact import MAX_PHOTOS, RECORDER_ROLES
from services.estate.store import EstateStore

VARIANTS = ("thumb", "full")  # the path's last segment


class PactPhotoNotFound(Exception):
    """No photo, or one this caller may not see: 404 either way."""


def _uploader(actor: Actor) -> dict[str, str | None]:
    return {"key_id": actor.key_id, "person_id": actor.person_id}


def upload(
    store: EstateStore, files: list[bytes], community_id: str, actor: Actor, now: datetime
) -> list[dict[str, Any]]:
    """Keep each photo loose for an observation the uploader will record; every file is
    checked before any is kept."""
    actor.require_role(*RECORDER_ROLES)
    if not actor.sees(community_id):
        raise PhotoRefused("community_id", "This key does not cover that community.")
    if not files or len(files) > MAX_PHOTOS:
        raise PhotoRefused("photo", f"Send 1 to {MAX_PHOTOS} photos.")
    cleaned = [clean(data) for data in files]
    kept = []
    for photo in cleaned:
        record = {
            "_id": "pp_" + secrets.token_urlsafe(18),
            "community_id": community_id,
            "uploader": _uploader(actor),
            "observation_id": None,
            "content_type": photo.content_type,
            "width": photo.width,
            "height": photo.height,
            "size": len(photo.full),
            "thumbnail_size": len(photo.thumbnail),
            "uploaded_at": now,
        }
        store.pact.photo_parts.add(record["_id"], photo)
        store.pact.photos.create(record["_id"], record)
        kept.append(record)
    return kept


def _attachable(record: dict[str, Any] | None, community_id: str, actor: Actor,
                observation_id: str | None) -> bool:  # fmt: skip
    if record is None or record["community_id"] != community_id:
        return False
    if record["uploader"] != _uploader(actor):
        return False
    return record["observation_id"] in (None, observation_id)


def check_attachable(
    store: EstateStore, photo_ids: Iterable[str], community_id: str, actor: Actor
) -> None:
    """Refuse an observation before it is kept if a photo it names is not the recorder's
    loose photo of the community."""
    for photo_id in photo_ids:
        if not _attachable(store.pact.photos.get(photo_id), community_id, actor, None):
            raise PhotoRefused("photos", f"{photo_id} is not a photo you uploaded here.")


def attach(store: EstateStore, photo_ids: Iterable[str], observation_id: str,
           community_id: str, actor: Actor) -> None:  # fmt: skip
    """Bind each photo to the observation, under its lease; again changes nothing."""
    for photo_id in photo_ids:
        with store.pact.photos.change(photo_id) as change:
            record = change.value
            if not _attachable(record, community_id, actor, observation_id):
                raise PhotoRefused("photos", f"{photo_id} is not a photo you uploaded here.")
            if record["observation_id"] != observation_id:
                change.save({**record, "observation_id": observation_id})


def read(
    store: EstateStore, photo_id: str, variant: str, visible: Callable[[dict[str, Any]], bool]
) -> tuple[dict[str, Any], bytes]:
    """The photo's record and bytes, if `visible(record)` says the caller may see it."""
    if variant not in VARIANTS:
        raise PactPhotoNotFound(f"No variant {variant}.")
    record = store.pact.photos.get(photo_id)
    if record is None or not visible(record):
        raise PactPhotoNotFound(f"No photo {photo_id}.")
    size = record["size"] if variant == "full" else record["thumbnail_size"]
    return record, store.pact.photo_parts.content(photo_id, variant, size)


def uploaded_by(record: dict[str, Any], actor: Actor) -> bool:
    return record["uploader"] == _uploader(actor)
