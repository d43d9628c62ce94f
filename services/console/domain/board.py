"""The case board (案件): what a row of it keeps, how a case's events move it, and the rules
of the page — who sees which rows, the filters, the order, the pages and the CSV columns.

A row is fed by cases' events (app/board.py). Every case event carries the case's `about`
block with its `case_version`; events arrive in any order and may be delivered again, so
what the block says (state, grid, category, assignee, overdue, …) replaces the row's only
when its version is newer. What only some events bring — the report's time and text, an
emergency — is kept whenever it arrives, since no later event takes it back. A row keeps
only what the board shows or filters on: never the reporter's name or phone, and the
description as cases masks it in events (phone numbers starred).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.privacy import mask_phone
from services.console.domain.sessions import Scope

PAGE_SIZE = 50
LOG_WINDOW = 500  # case ids the community's change log keeps: a mirror further behind reloads
TEXT_LIMIT = 100
# what an event says beyond its `about` block that moves a flag of the row
ESCALATES = {"case.escalated": True, "case.dispatched": False, "case.assigned": False}
ASKS_EXTENSION = {"case.extension_requested": True, "case.extension_decided": False}


@dataclass(frozen=True)
class BoardRow:
    case_id: str
    number: str
    community_id: str
    grid_id: str
    category: str | None
    category_label: Mapping[str, str] | None
    team: str | None
    priority: str | None
    channel: str
    state: str
    case_version: int
    overdue: bool
    place: str | None
    assignee_name: str | None
    escalated: bool = False
    extension_pending: bool = False
    reported_at: datetime | None = None  # from case.reported (or a later event carrying it)
    description: str = ""  # masked
    emergency_call: str | None = None  # 119, 120, 110 for an emergency

    @cached_property
    def folded_description(self) -> str:
        """The text as a search compares it, worked out once per row held in memory."""
        return self.description.casefold()

    @classmethod
    def from_event(cls, event_type: str, payload: Mapping[str, Any]) -> BoardRow:
        """A case's first row, from whichever of its events came first."""
        return cls(
            case_id=payload["case_id"],
            number=payload["number"],
            community_id=payload["community_id"],
            case_version=-1,
            **_about(payload),
        ).folded(event_type, payload)

    def folded(self, event_type: str, payload: Mapping[str, Any]) -> BoardRow:
        """The row after this event: the about block and the flags only from a newer
        version, the lasting facts from any."""
        row = replace(self, **_lasting(self, event_type, payload))
        if int(payload["case_version"]) <= self.case_version:
            return row
        return replace(
            row,
            **_about(payload),
            case_version=int(payload["case_version"]),
            escalated=ESCALATES.get(event_type, row.escalated),
            extension_pending=ASKS_EXTENSION.get(event_type, row.extension_pending),
        )


def _about(payload: Mapping[str, Any]) -> dict[str, Any]:
    assignee = payload.get("assignee") or {}
    return {
        "grid_id": payload["grid_id"],
        "category": payload.get("category"),
        "category_label": payload.get("category_label"),
        "team": payload.get("team"),
        "priority": payload.get("priority"),
        "channel": payload["channel"],
        "state": payload["state"],
        "overdue": bool(payload.get("overdue")),
        "place": mask_phone(payload["place"]) if payload.get("place") else None,
        "assignee_name": assignee.get("display_name"),
    }


def _lasting(row: BoardRow, event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The facts an event brings that never change once known."""
    kept: dict[str, Any] = {}
    if row.reported_at is None and payload.get("reported_at") is not None:
        kept["reported_at"] = payload["reported_at"]
    if not row.description and payload.get("description"):
        kept["description"] = mask_phone(payload["description"])
    if event_type == "case.emergency":
        kept["emergency_call"] = payload["call"]
    return kept


def folded(row: BoardRow | None, event_type: str, payload: Mapping[str, Any]) -> BoardRow:
    return (
        BoardRow.from_event(event_type, payload) if row is None else row.folded(event_type, payload)
    )


# -- the community's change log ------------------------------------------------------------


@dataclass(frozen=True)
class ChangeLog:
    """The last LOG_WINDOW case ids whose rows changed in a community, each with its
    sequence number: what every console process reads (by `_id`) to stay current."""

    seq: int = 0
    changes: tuple[tuple[int, str], ...] = ()

    def changed_since(self, seq: int) -> list[str] | None:
        """The case ids changed after `seq`, or None when the log no longer reaches back
        that far (the reader must load the community again)."""
        if seq >= self.seq:
            return []
        oldest = self.changes[0][0] if self.changes else self.seq + 1
        if seq + 1 < oldest:
            return None
        return sorted({case_id for number, case_id in self.changes if number > seq})


# -- the page's rules ----------------------------------------------------------------------

YES_NO = ("", "yes", "no")


@dataclass(frozen=True)
class BoardFilter:
    """What the board was asked to show (its URL's query), checked."""

    state: str = ""
    grid: str = ""
    category: str = ""
    team: str = ""
    channel: str = ""
    overdue: str = ""  # "", "yes", "no"
    escalated: str = ""
    private: str = ""
    extension: str = ""  # "" or "pending"
    since: date | None = None  # the `from` day, in the community's zone
    until: date | None = None  # the `to` day, included
    text: str = ""  # a case number or words of the description
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """The filter as a URL's query (for links to other pages and to the CSV)."""
        chosen = replace(self, **changes)
        values = {
            "state": chosen.state, "grid": chosen.grid, "category": chosen.category,
            "team": chosen.team, "channel": chosen.channel, "overdue": chosen.overdue,
            "escalated": chosen.escalated, "private": chosen.private,
            "extension": chosen.extension,
            "from": str(chosen.since or ""), "to": str(chosen.until or ""), "q": chosen.text,
            "page": "" if chosen.page == 1 else str(chosen.page),
        }  # fmt: skip
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class FilterChoices:
    """What the filters may choose from: the states, the person's grids, the taxonomy."""

    states: Sequence[str]
    grids: Sequence[str]
    categories: Sequence[str]
    teams: Sequence[str]
    channels: Sequence[str]


def read_filter(
    args: Mapping[str, str], choices: FilterChoices
) -> tuple[BoardFilter, dict[str, str]]:
    """The filter a query asks for, and the error (a label key) of each field that is
    not one of its choices; a wrong field is left out of the filter."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    picks = {
        "state": choices.states, "grid": choices.grids, "category": choices.categories,
        "team": choices.teams, "channel": choices.channels, "overdue": YES_NO,
        "escalated": YES_NO, "private": YES_NO, "extension": ("", "pending"),
    }  # fmt: skip
    for name, allowed in picks.items():
        value = args.get(name, "").strip()
        if value and value not in allowed:
            errors[name] = "board_error_choice"
        elif value:
            values[name] = value
    for name, key in (("from", "since"), ("to", "until")):
        value = args.get(name, "").strip()
        if value:
            try:
                values[key] = date.fromisoformat(value)
            except ValueError:
                errors[name] = "board_error_date"
    if values.get("since") and values.get("until") and values["since"] > values["until"]:
        errors["to"] = "board_error_range"
        del values["until"]
    text = args.get("q", "").strip()
    if len(text) > TEXT_LIMIT or any(ord(char) < 32 for char in text):
        errors["q"] = "board_error_text"
    elif text:
        values["text"] = text
    page = args.get("page", "1").strip()
    if not page.isdigit() or int(page) < 1:
        errors["page"] = "board_error_page"
    else:
        values["page"] = min(int(page), 10_000)
    return BoardFilter(**values), errors


def seen_by(scope: Scope, rows: Iterable[BoardRow]) -> list[BoardRow]:
    """The rows the person may see, in the order given: their community's, and only their
    grids' for a grid leader or worker (no filter widens this)."""
    community, grids = scope.community_id, scope.grids
    if grids is None:
        return [row for row in rows if row.community_id == community]
    return [row for row in rows if row.community_id == community and row.grid_id in grids]


def matching(
    rows: Iterable[BoardRow],
    wanted: BoardFilter,
    private_categories: frozenset[str],
    zone: ZoneInfo,
    shows_private_text: bool,
) -> list[BoardRow]:
    """The rows the filter keeps, in the order given. Each filter asked for narrows what the
    one before kept, in a plain comprehension: a page runs over every row of the community,
    20,000 and more. The text is looked for in the case number, and in the description only
    where the person may read it. The days are the community's: from the first moment of
    `since` to the last of `until`."""
    kept = list(rows)
    for name, attribute in (
        ("state", "state"), ("grid", "grid_id"), ("category", "category"), ("team", "team"),
        ("channel", "channel"),
    ):  # fmt: skip
        if value := getattr(wanted, name):
            kept = [row for row in kept if getattr(row, attribute) == value]
    for name in ("overdue", "escalated"):
        if value := getattr(wanted, name):
            kept = [row for row in kept if getattr(row, name) is (value == "yes")]
    if wanted.private:
        private = wanted.private == "yes"
        kept = [row for row in kept if (row.category in private_categories) is private]
    if wanted.extension:
        kept = [row for row in kept if row.extension_pending]
    if wanted.since:
        since = _day_start(wanted.since, zone)
        kept = [row for row in kept if row.reported_at is not None and row.reported_at >= since]
    if wanted.until:
        until = _day_start(wanted.until + timedelta(days=1), zone)
        kept = [row for row in kept if row.reported_at is not None and row.reported_at < until]
    if text := wanted.text.casefold():
        may_read = shows_private_text
        kept = [row for row in kept if _has_text(row, text, private_categories, may_read)]
    return kept


def _has_text(row: BoardRow, text: str, private: frozenset[str], may_read: bool) -> bool:
    if text in row.number.casefold():
        return True
    return (may_read or row.category not in private) and text in row.folded_description


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


NEVER = datetime.min.replace(tzinfo=ZoneInfo("UTC"))


def order_key(row: BoardRow) -> tuple[datetime, str]:
    """Where a row stands on the board: by its report's time (a row whose report has not
    arrived yet last), then its number."""
    return row.reported_at or NEVER, row.number


def newest_first(rows: Iterable[BoardRow]) -> list[BoardRow]:
    return sorted(rows, key=order_key, reverse=True)


@dataclass(frozen=True)
class BoardPage:
    rows: list[BoardRow]
    number: int
    pages: int
    total: int
    size: int = PAGE_SIZE


def page_of(rows: Sequence[BoardRow], number: int, size: int = PAGE_SIZE) -> BoardPage:
    """One page of the chosen rows; a number past the last shows the last."""
    pages = max(1, -(-len(rows) // size))
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return BoardPage(list(rows[start : start + size]), number, pages, len(rows), size)


def shown_text(row: BoardRow, private_categories: frozenset[str], may_read: bool) -> str | None:
    """The description as this person may see it: None for a private case's text to a
    grid leader or worker (only staff read what concerns a household)."""
    if row.category in private_categories and not may_read:
        return None
    return row.description


def may_read_private(role: str) -> bool:
    return role == "staff"


CSV_COLUMNS = (
    "number", "reported_at", "state", "grid_id", "place", "category", "team", "priority",
    "channel", "overdue", "escalated", "emergency", "assignee", "description",
)  # fmt: skip


def csv_rows(
    rows: Iterable[BoardRow], private_categories: frozenset[str], may_read: bool, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The export's lines: times in the community's zone, a private case's text only for
    staff (lianxin.spreadsheets neutralises what a spreadsheet would run)."""
    return [
        {
            "number": row.number,
            "reported_at": row.reported_at.astimezone(zone).isoformat() if row.reported_at else "",
            "state": row.state,
            "grid_id": row.grid_id,
            "place": row.place,
            "category": row.category,
            "team": row.team,
            "priority": row.priority,
            "channel": row.channel,
            "overdue": "yes" if row.overdue else "no",
            "escalated": "yes" if row.escalated else "no",
            "emergency": row.emergency_call or "",
            "assignee": row.assignee_name,
            "description": shown_text(row, private_categories, may_read) or "",
        }
        for row in rows
    ]
