"""The console's repository: the only module that speaks Mongo. Everything by `_id`
(rule 8 of docs/architecture.md): nothing the console keeps is ever listed.

- `sessions`: a signed-in browser, `_id` = the SHA-256 of its session id;
- `sign_in_codes`: the current code of a phone number, `_id` = the phone's digest;
- `people` and `phones`: who may sign in, from roster's `person.changed`, and the index of
  them by the digest of their SMS number (domain/phones.py);
- `rate_windows`: one counter per limit, who it counts and window (domain/limits.py);
- `report_codes`: a resident's current verification code, `_id` = the phone's digest,
  and `sent_reports`: a report form's one report (its case, no phone number), `_id` = the
  form's key (the scan-to-report page: domain/residents_report.py);
- `uploads`: an import file checked by roster's dry run, kept for its apply, `_id` = the
  session id's digest (one per session; domain/imports.py). Its text (names and phone
  numbers) goes when it is applied, when the session checks another file, and when the
  session ends; after 30 minutes it can no longer be applied.
- `board_rows`: the case board's read model, one row per case, `_id` = the case id, and
  `board_log`: per community (`_id`), the case ids whose rows changed last, numbered
  (domain/board.py). The one query that is not by `_id` loads a community's rows, once per
  console process (app/board.py; docs/store-queries.md).
- `duty_forms`: a sent sign-in, sign-out or feed-reset form of a person's own duty page,
  `_id` = `<person>:<form key>` (domain/my_duty.py): inserted before roster is asked, so
  the same form sent twice acts once.

Each is changed under its lease (lianxin.store.typed.Aggregates), but for the board's
change log, numbered by one atomic update by `_id` (`log_changes`); none causes an event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument

from lianxin.store.repository import StoreContext
from lianxin.store.typed import DOCUMENTS, AggregateChange, Aggregates, Codec
from services.console.domain.board import LOG_WINDOW, BoardRow, ChangeLog
from services.console.domain.codes import SignInCode
from services.console.domain.imports import Upload
from services.console.domain.limits import Limit
from services.console.domain.residents_report import SentReport
from services.console.domain.sessions import Scope, Session
from services.console.domain.staff import StaffMember


def _session_document(session: Session) -> Mapping[str, Any]:
    grids = session.scope.grids
    return {
        "person_id": session.person_id,
        "display_name": session.display_name,
        "role": session.role,
        "community_id": session.scope.community_id,
        "grids": None if grids is None else sorted(grids),
        "csrf": session.csrf,
        "created_at": session.created_at,
        "last_seen": session.last_seen,
    }


def _session_from(document: Mapping[str, Any]) -> Session:
    grids = document.get("grids")
    return Session(
        id_digest=document["_id"],
        person_id=document["person_id"],
        display_name=document.get("display_name", ""),
        role=document["role"],
        scope=Scope(document["community_id"], None if grids is None else frozenset(grids)),
        csrf=document["csrf"],
        created_at=_aware(document["created_at"]),
        last_seen=_aware(document["last_seen"]),
    )


def _code_document(code: SignInCode) -> Mapping[str, Any]:
    return {
        "code_digest": code.code_digest,
        "person_id": code.person_id,
        "issued_at": code.issued_at,
        "tries": code.tries,
        "used": code.used,
    }


def _code_from(document: Mapping[str, Any]) -> SignInCode:
    return SignInCode(
        phone_digest=document["_id"],
        code_digest=document["code_digest"],
        person_id=document.get("person_id"),
        issued_at=_aware(document["issued_at"]),
        tries=int(document.get("tries", 0)),
        used=bool(document.get("used", False)),
    )


def _member_document(member: StaffMember) -> Mapping[str, Any]:
    return {
        "community_id": member.community_id,
        "display_name": member.display_name,
        "roles": list(member.roles),
        "home_grids": list(member.home_grids),
        "active": member.active,
        "person_version": member.person_version,
        "phone_digest": member.phone_digest,
    }


def _member_from(document: Mapping[str, Any]) -> StaffMember:
    return StaffMember(
        person_id=document["_id"],
        community_id=document["community_id"],
        display_name=document.get("display_name", ""),
        roles=tuple(document.get("roles", ())),
        home_grids=tuple(document.get("home_grids", ())),
        active=bool(document.get("active", False)),
        person_version=int(document.get("person_version", 0)),
        phone_digest=document.get("phone_digest"),
    )


def _upload_document(upload: Upload) -> Mapping[str, Any]:
    return {
        "person_id": upload.person_id,
        "community_id": upload.community_id,
        "name": upload.name,
        "text": upload.text,
        "digest": upload.digest,
        "checked_at": upload.checked_at,
        "check": json.dumps(upload.check, ensure_ascii=False),  # one text: no key is a path
        "applied": None if upload.applied is None else json.dumps(upload.applied),
    }


def _upload_from(document: Mapping[str, Any]) -> Upload:
    applied = document.get("applied")
    return Upload(
        session=document["_id"],
        person_id=document["person_id"],
        community_id=document["community_id"],
        name=document["name"],
        text=document["text"],
        digest=document["digest"],
        checked_at=_aware(document["checked_at"]),
        check=json.loads(document["check"]),
        applied=None if applied is None else json.loads(applied),
    )


def _row_document(row: BoardRow) -> Mapping[str, Any]:
    document = asdict(row)
    del document["case_id"]
    return document


def _row_from(document: Mapping[str, Any]) -> BoardRow:
    fields = {key: value for key, value in document.items() if key in BOARD_ROW_FIELDS}
    reported_at = fields.get("reported_at")
    return BoardRow(
        case_id=document["_id"],
        **fields | {"reported_at": _aware(reported_at) if reported_at else None},
    )


def _log_document(log: ChangeLog) -> Mapping[str, Any]:
    """The numbers follow each other, so the ids alone are kept, the last numbered `seq`
    (FerretDB stores no array of arrays)."""
    return {"seq": log.seq, "cases": [case_id for _, case_id in log.changes]}


def _log_from(document: Mapping[str, Any]) -> ChangeLog:
    seq, cases = int(document.get("seq", 0)), list(document.get("cases", ()))
    return ChangeLog(seq, tuple(zip(range(seq - len(cases) + 1, seq + 1), cases, strict=True)))


def _report_document(report: SentReport) -> Mapping[str, Any]:
    document = asdict(report)
    del document["form_key"]
    return document


def _report_from(document: Mapping[str, Any]) -> SentReport:
    return SentReport(
        form_key=document["_id"],
        community_id=document["community_id"],
        started_at=_aware(document["started_at"]),
        case_id=document.get("case_id"),
        number=document.get("number"),
    )


BOARD_ROW_FIELDS = frozenset(field.name for field in dataclass_fields(BoardRow)) - {"case_id"}
SESSIONS = Codec(_session_document, _session_from)
CODES = Codec(_code_document, _code_from)
MEMBERS = Codec(_member_document, _member_from)
UPLOADS = Codec(_upload_document, _upload_from)
ROWS = Codec(_row_document, _row_from)
LOGS = Codec(_log_document, _log_from)
REPORTS = Codec(_report_document, _report_from)


class ConsoleStore:
    def __init__(self, context: StoreContext):
        self.sessions = Aggregates(context, "sessions", SESSIONS)
        self.codes = Aggregates(context, "sign_in_codes", CODES)
        self.people = Aggregates(context, "people", MEMBERS)
        self.phones = Aggregates(context, "phones", DOCUMENTS)
        self.windows = Aggregates(context, "rate_windows", DOCUMENTS)
        self.uploads = Aggregates(context, "uploads", UPLOADS)
        self.rows = Aggregates(context, "board_rows", ROWS)
        self.logs = Aggregates(context, "board_log", LOGS)
        self.duty_forms = Aggregates(context, "duty_forms", DOCUMENTS)
        self.report_codes = Aggregates(context, "report_codes", CODES)
        self.reports = Aggregates(context, "sent_reports", REPORTS)

    def ensure_indexes(self) -> None:
        """None: every read is by `_id`, but for loading a community's board rows once per
        process (`board_rows`), which MongoDB serves from its index."""
        self.rows.collection.create_index("community_id")

    def recover(self) -> int:
        """Leases left by a crash; nothing here has an outbox to publish."""
        return sum(
            aggregates.recover()
            for aggregates in (
                self.sessions,
                self.codes,
                self.people,
                self.phones,
                self.windows,
                self.uploads,
                self.rows,
                self.logs,
                self.duty_forms,
                self.report_codes,
                self.reports,
            )
        )

    # -- sessions --------------------------------------------------------------------------

    def session(self, id_digest: str) -> Session | None:
        return self.sessions.get(id_digest)

    def start_session(self, session: Session) -> None:
        self.sessions.create(session.id_digest, session)

    def touch_session(self, session: Session) -> None:
        """Save its `last_seen`, unless it ended meanwhile (signed out in another tab)."""
        with self.sessions.change(session.id_digest) as change:
            if change.value is not None:
                change.save(session)

    def end_session(self, id_digest: str) -> None:
        """The session, and the import file it checked (which may hold phone numbers)."""
        with self.sessions.change(id_digest) as change:
            if change.value is not None:
                change.remove()
        self.forget_upload(id_digest)

    # -- codes -----------------------------------------------------------------------------

    @contextmanager
    def code_change(self, phone_digest: str) -> Iterator[AggregateChange[SignInCode]]:
        with self.codes.change(phone_digest) as change:
            yield change

    # -- people ----------------------------------------------------------------------------

    @contextmanager
    def member_change(self, person_id: str) -> Iterator[AggregateChange[StaffMember]]:
        with self.people.change(person_id) as change:
            yield change

    def member(self, person_id: str) -> StaffMember | None:
        return self.people.get(person_id)

    def member_by_phone(self, phone_digest: str) -> StaffMember | None:
        entry = self.phones.get(phone_digest)
        return self.member(entry["person_id"]) if entry else None

    def index_phone(self, phone_digest: str, person_id: str, version: int) -> None:
        """The number now belongs to this person, unless a newer version gave it to
        someone else meanwhile."""
        with self.phones.change(phone_digest) as change:
            kept = change.value
            if kept is None or int(kept.get("person_version", -1)) <= version:
                change.save({"person_id": person_id, "person_version": version})

    def unindex_phone(self, phone_digest: str, person_id: str) -> None:
        with self.phones.change(phone_digest) as change:
            if change.value is not None and change.value.get("person_id") == person_id:
                change.remove()

    # -- the case board -------------------------------------------------------------------

    @contextmanager
    def row_change(self, case_id: str) -> Iterator[AggregateChange[BoardRow]]:
        with self.rows.change(case_id) as change:
            yield change

    def row(self, case_id: str) -> BoardRow | None:
        return self.rows.get(case_id)

    def community_rows(self, community_id: str) -> list[BoardRow]:
        """Every row of the community: a scan on FerretDB, made once per process."""
        return self.rows.query({"community_id": community_id})

    def log_changes(self, community_id: str, case_ids: list[str]) -> None:
        """Number the changes of the community's board: the cases' rows. One atomic
        update by `_id`, not a change under a lease: every batch of the community passes
        here, and concurrent workers would queue on one lease. The update numbers and
        appends in one step, so the last id is always number `seq`; the oldest are
        dropped once past the window, one atomic `$pop` each (FerretDB ignores `$push`'s
        `$slice`; a `$set` of the tail could drop what another worker just appended)."""
        logs = self.logs.collection
        after = logs.find_one_and_update(
            {"_id": community_id},
            {"$inc": {"seq": len(case_ids)}, "$push": {"cases": {"$each": case_ids}}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        for _ in range(len(after["cases"]) - LOG_WINDOW):
            logs.update_one({"_id": community_id}, {"$pop": {"cases": -1}})

    def change_log(self, community_id: str) -> ChangeLog:
        return self.logs.get(community_id) or ChangeLog()

    # -- rate limits -----------------------------------------------------------------------

    def count(self, limit: Limit, who: str, now: datetime) -> bool:
        """Count one more in the current window of `limit` for `who`; False (and nothing
        counted) when the window is full."""
        with self.windows.change(limit.window_id(who, now)) as change:
            used = int((change.value or {}).get("used", 0))
            if not limit.allows(used):
                return False
            change.save({"used": used + 1})
            return True

    # -- a resident's report -----------------------------------------------------------------

    @contextmanager
    def report_code_change(self, phone_digest: str) -> Iterator[AggregateChange[SignInCode]]:
        with self.report_codes.change(phone_digest) as change:
            yield change

    def claim_report(self, report: SentReport, now: datetime) -> SentReport | None:
        """Claim the form's one report: None when claimed now, else the report claimed
        before (a second submit), unless that one stalled (its sender died) and is taken
        over."""
        with self.reports.change(report.form_key) as change:
            if change.value is not None and not change.value.stalled(now):
                return change.value
            change.save(report)
            return None

    def sent_report(self, form_key: str) -> SentReport | None:
        return self.reports.get(form_key)

    def record_report(self, report: SentReport) -> None:
        with self.reports.change(report.form_key) as change:
            change.save(report)

    def release_report(self, form_key: str) -> None:
        """The form's report was not made: the form may be sent again."""
        with self.reports.change(form_key) as change:
            if change.value is not None and not change.value.made:
                change.remove()

    # -- uploads --------------------------------------------------------------------------

    def upload(self, session_digest: str) -> Upload | None:
        return self.uploads.get(session_digest)

    def forget_upload(self, session_digest: str) -> None:
        with self.uploads.change(session_digest) as change:
            if change.value is not None:
                change.remove()

    def keep_upload(self, upload: Upload) -> None:
        """The session's checked file, in place of the one it checked before."""
        with self.uploads.change(upload.session) as change:
            change.save(upload)

    def record_applied(self, upload: Upload) -> None:
        """The file applied, unless the session has checked another meanwhile."""
        with self.uploads.change(upload.session) as change:
            if change.value is not None and change.value.digest == upload.digest:
                change.save(upload)

    # -- a person's duty forms -------------------------------------------------------------

    def claim_duty_form(self, form_id: str, action: str, now: datetime) -> bool:
        """Keep a sent duty form by one unique insert: False if it was sent before."""
        return self.duty_forms.create(form_id, {"action": action, "at": now})

    def release_duty_form(self, form_id: str) -> None:
        """Forget a form roster refused, so that it may be sent again once put right."""
        with self.duty_forms.change(form_id) as change:
            if change.value is not None:
                change.remove()


def _aware(at: datetime) -> datetime:
    """Datetimes come back naive from the engines: they are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
