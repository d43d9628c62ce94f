"""Importing from the console: check an uploaded file with roster's dry run and keep it;
apply exactly the kept file; show the session's last check.

Roster reads and checks the file (POST /v1/imports/file) and decides who may import where
(a staff member's token: their community only). The console refuses grid roles before
asking, keeps no rows of its own, and stores nothing of roster's until apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.console.apis import ApiError
from services.console.app.desk import Desk
from services.console.domain.imports import (
    NothingToApply,
    Upload,
    UploadRefused,
    base_name,
    digest_of,
    file_text,
    rejected_rows,
    require_importer,
)
from services.console.store import ConsoleStore


def check(desk: Desk, store: ConsoleStore, filename: str, content: bytes, now: datetime) -> Upload:
    """Roster's dry run of the file, kept by the session for its apply."""
    require_importer(desk.session.role)
    name = base_name(filename)
    text = file_text(name, content)
    try:
        answer = desk.services.import_file(desk.token, name, text, dry_run=True)
    except ApiError as exc:
        if exc.status == 400:  # not an import file: roster says why
            raise UploadRefused("import_unreadable", str(exc)) from None
        raise
    session = desk.session
    upload = Upload(session.id_digest, session.person_id, session.scope.community_id,
                    name, text, digest_of(name, text), now, answer)  # fmt: skip
    store.keep_upload(upload)
    return upload


def apply(desk: Desk, store: ConsoleStore, digest: str, now: datetime) -> Upload:
    """Roster imports the kept file the form names; NothingToApply when there is none, it
    is too old, was applied already or had rejected rows. No lease is held while roster
    imports (that may take longer than a lease): two applies racing both reach roster,
    where importing the same file again changes nothing."""
    require_importer(desk.session.role)
    upload = store.upload(desk.session.id_digest)
    if upload is None or not upload.may_apply(digest, now):
        raise NothingToApply("Nothing checked to apply: check the file again.")
    answer = desk.services.import_file(desk.token, upload.name, upload.text, dry_run=False)
    done = upload.done(answer)
    store.record_applied(done)
    return done


def last_check(desk: Desk, store: ConsoleStore, now: datetime) -> dict[str, Any]:
    """What the import page shows: the session's last checked file, its rejected rows
    and counts, and whether it was applied. A check too old to apply is not shown (a GET
    changes nothing: it goes with the next check or the session's end)."""
    require_importer(desk.session.role)
    upload = store.upload(desk.session.id_digest)
    if upload is None or upload.stale(now):
        return {"upload": None, "rejected": []}
    return {"upload": upload, "rejected": rejected_rows(upload.check.get("rejected", ()))}
