"""Photos, as a volunteer's or a resident's phone sends and reads them: a 3 MB camera JPEG
uploaded through cases' API until its cleaned copy and thumbnail are stored (the POST
answers then), and a photo read back among 10,000 stored.

How the store comes to hold 10,000 photos. Uploading them would take the bench minutes of
Pillow work that measures the upload, not the read; so, as the console phase writes its
board's rows, the bench copies the records and parts that cases itself stored for the
uploads just measured, under new ids, in the same documents (`photos` records, their
`photo_parts` by `<photo>:<variant>:<n>`). The copies are of a small photo (a 640-px one,
uploaded through the API too) so that 10,000 of them stay a few hundred megabytes on disk;
the photos read are the measured uploads themselves, at full size and as thumbnails, with
the other 10,000 beside them. Reads go over HTTP with the uploading key (a loose photo is
its uploader's to read), as the pages' proxies read them.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from random import Random
from typing import Any

import requests
from PIL import Image

from scripts.bench import report
from services.cases.domain.photos import new_photo_id

CAMERA = (4032, 3024)  # a phone's 12-Mpx photo
CAMERA_BYTES = 3 * 2**20
SMALL = (640, 480)
BATCH = 500


def measure_photos(
    cases_url: str,
    headers: dict[str, str],
    cases_db: Any,
    community_id: str,
    params: dict[str, Any],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Upload timings, then read timings with `params["photos_stored"]` photos stored."""
    http = requests.Session()
    http.headers.update(headers)
    camera = camera_jpeg(params["seed"])
    uploads, uploaded = [], []
    for _ in range(params["photo_samples"]):
        started = time.perf_counter()
        uploaded.append(_upload(http, cases_url, community_id, camera))
        uploads.append(time.perf_counter() - started)
    say(f"photos: {len(uploads)} uploads of {len(camera) / 2**20:.1f} MB")
    small = _upload(http, cases_url, community_id, small_jpeg(params["seed"]))
    started = time.monotonic()
    copied = copy_photo(cases_db, small, params["photos_stored"] - len(uploaded) - 1)
    stored = cases_db["photos"].count_documents({})
    say(f"photos: {copied} copies stored in {time.monotonic() - started:.1f}s; {stored} in all")
    rng = Random(params["seed"])
    picks = [rng.choice(uploaded) for _ in range(params["photo_samples"])]
    thumbnails = [_timed_read(http, f"{cases_url}/v1/photos/{p}/thumbnail") for p in picks]
    fulls = [_timed_read(http, f"{cases_url}/v1/photos/{p}") for p in picks]
    figures = {
        "upload_bytes": len(camera),
        "upload_pixels": f"{CAMERA[0]}x{CAMERA[1]}",
        "upload_to_stored_thumbnail": report.latency(uploads),
        "photos_stored": stored,
        "read_thumbnail": report.latency(thumbnails),
        "read_full": report.latency(fulls),
    }
    say(
        f"photos: upload p95 {figures['upload_to_stored_thumbnail']['p95_ms']} ms; with "
        f"{stored} stored, thumbnail p95 {figures['read_thumbnail']['p95_ms']} ms, full "
        f"p95 {figures['read_full']['p95_ms']} ms"
    )
    return figures


def camera_jpeg(seed: int) -> bytes:
    """A 12-Mpx JPEG of about 3 MB: a scene's smooth shading with sensor grain, the kind a
    phone camera writes (a flat image would shrink to nothing, noise alone would not be a
    photo's size)."""
    rng = Random(seed)
    base = Image.linear_gradient("L").resize(CAMERA).convert("RGB")
    grain = Image.effect_noise(CAMERA, 40 + rng.randint(0, 5)).convert("RGB")
    image = Image.blend(base, grain, 0.35)
    for quality in (92, 88, 84, 80, 75):
        data = _jpeg(image, quality)
        if len(data) <= CAMERA_BYTES * 1.1:
            return data
    return data


def small_jpeg(seed: int) -> bytes:
    """A 640-px photo of a few tens of kilobytes, as the store's other 10,000."""
    base = Image.linear_gradient("L").resize(SMALL).convert("RGB")
    grain = Image.effect_noise(SMALL, 30 + seed % 5).convert("RGB")
    return _jpeg(Image.blend(base, grain, 0.08), 80)


def copy_photo(cases_db: Any, photo_id: str, count: int) -> int:
    """`count` copies of a stored photo's record and parts under new ids, as cases stores
    an upload: parts first, then the record."""
    record = cases_db["photos"].find_one({"_id": photo_id})
    parts = list(cases_db["photo_parts"].find({"_id": {"$regex": f"^{photo_id}:"}}))
    written, records, pieces = 0, [], []
    for _ in range(count):
        new_id = new_photo_id()
        records.append({**record, "_id": new_id})
        pieces += [{**part, "_id": new_id + part["_id"][len(photo_id) :]} for part in parts]
        if len(records) == BATCH:
            written += _insert(cases_db, records, pieces)
            records, pieces = [], []
    if records:
        written += _insert(cases_db, records, pieces)
    return written


def _insert(cases_db: Any, records: list[dict], pieces: list[dict]) -> int:
    cases_db["photo_parts"].insert_many(pieces, ordered=False)
    return len(cases_db["photos"].insert_many(records, ordered=False).inserted_ids)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _upload(http: requests.Session, cases_url: str, community_id: str, data: bytes) -> str:
    answer = http.post(
        f"{cases_url}/v1/photos",
        data={"community_id": community_id, "tag": "report"},
        files={"photo": ("photo.jpg", data, "image/jpeg")},
        timeout=60,
    )
    if answer.status_code != 201:
        raise RuntimeError(f"upload: {answer.status_code} {answer.text[:300]}")
    return answer.json()["photos"][0]["id"]


def _timed_read(http: requests.Session, url: str) -> float:
    started = time.perf_counter()
    answer = http.get(url, timeout=30)
    if answer.status_code != 200 or not answer.content:
        raise RuntimeError(f"GET {url}: {answer.status_code}")
    return time.perf_counter() - started
