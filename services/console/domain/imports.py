"""Importing people, areas, teams and rotas from the console: who may, what file it takes,
the upload kept between its check and its apply, and the check's rejected rows as a table.

The console never reads an import file's rows: roster does (POST /v1/imports/file, the
code its operator's CLI reads files with). The console checks only that the upload is a
file it may pass on (a .csv or .yaml name, at most MAX_FILE_BYTES, UTF-8), asks roster for
a dry run, and keeps the upload, by its session, with the check's answer. Apply sends
exactly that kept text, and only when the form names its digest: what is applied is what
was checked, and a second tab's check does not slip in under the first one's button.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

IMPORTING_ROLE = "staff"  # roster imports for a staff member's own community only
MAX_FILE_BYTES = 60 * 1024  # the text as sent on to roster, JSON-escaped: its body is ≤ 64 KiB
KEEP_CHECKED = timedelta(minutes=30)  # how long a checked upload may still be applied
SUFFIXES = (".csv", ".yaml", ".yml")
FIELD = re.compile(r"^[a-z_][a-z0-9_.]*$")  # how roster names a column in a reason


class StaffOnly(Exception):
    """Importing is for staff; a grid leader or grid worker is refused (403)."""


class UploadRefused(Exception):
    """A file the console does not pass on; `reason` is the label that says why."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


class NothingToApply(Exception):
    """No kept check of this file in this session, it is too old, already applied, or
    had rejected rows (409)."""


@dataclass(frozen=True)
class Upload:
    """A file checked by roster's dry run, kept by its session (its `_id`)."""

    session: str  # the session id's digest
    person_id: str
    community_id: str
    name: str
    text: str
    digest: str
    checked_at: datetime
    check: Mapping[str, Any]  # roster's dry-run answer
    applied: Mapping[str, Any] | None = None  # roster's answer once applied

    @property
    def clean(self) -> bool:
        return not self.check.get("rejected")

    def may_apply(self, digest: str, now: datetime) -> bool:
        return digest == self.digest and self.clean and self.applied is None and not self.stale(now)

    def stale(self, now: datetime) -> bool:
        """Too old to apply, and to keep: its text may hold phone numbers."""
        return self.applied is None and now - self.checked_at >= KEEP_CHECKED

    def done(self, answer: Mapping[str, Any]) -> Upload:
        """Applied: the answer is kept for the page, the file's text is not."""
        return replace(self, applied=dict(answer), text="")


@dataclass(frozen=True)
class RejectedRow:
    """One reason a row was rejected: the file and line (or YAML section and entry), the
    record's id, the column when roster names one, and why."""

    file: str
    line: str
    kind: str
    key: str
    field: str
    why: str


def require_importer(role: str) -> None:
    if role != IMPORTING_ROLE:
        raise StaffOnly("Only community staff import.")


def file_text(name: str, content: bytes) -> str:
    """The upload as text, or UploadRefused; its rows are roster's to read."""
    if not name:
        raise UploadRefused("import_no_file")
    if not name.lower().endswith(SUFFIXES):
        raise UploadRefused("import_wrong_type")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused("import_not_utf8") from None
    if len(json.dumps(text)) > MAX_FILE_BYTES:  # as apis.Services.import_file sends it
        raise UploadRefused("import_too_large")
    return text


def base_name(filename: str) -> str:
    """The file's own name, without any folder a browser sent with it."""
    return re.split(r"[\\/]", filename or "")[-1].strip()


def digest_of(name: str, text: str) -> str:
    return hashlib.sha256(f"{name}\n{text}".encode()).hexdigest()


def rejected_rows(rejected: Iterable[Mapping[str, Any]]) -> list[RejectedRow]:
    """Roster's rejected rows, one table row per reason: `people.csv:3` is line 3 of
    people.csv, `community.yaml: rotas #2` the second rota; `phone: Digits only.` names
    its column."""
    rows = []
    for entry in rejected:
        file, _, line = str(entry["source"]).partition(":")
        for reason in entry.get("reasons") or ("",):
            field, separator, why = reason.partition(": ")
            if not (separator and FIELD.match(field)):
                field, why = "", reason
            rows.append(RejectedRow(file, line.strip(), entry["kind"], entry["key"], field, why))
    return rows
