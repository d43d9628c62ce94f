"""The case board's read model: kept from cases' events, read from memory.

Writing (every console process competes for `cases.events` on one queue): the events a
process receives are folded in batches per community (`fold_events`, lianxin.bus.batches):
each case's row changes under its lease, only to what a newer `case_version` says
(domain/board.py), then the community's change log numbers the changed cases. A
redelivered or stale event logs the case again, which costs a reader one more read by
`_id` and keeps a change whose log entry a crash lost.

Reading: each process holds each community's rows in memory (`BoardMirror`). It loads them
once, by the one scan of the console's store, and before every page reads the community's
change log by `_id` and the rows it names by `_id`; a process that fell further behind than
the log reaches loads the community again. So a page costs a few reads by `_id` however
many cases the community has (FerretDB scans every other filter: 0.9 s for 20,000 rows),
and every replica shows what the events said, whichever of them stored it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.access.actors import CHANNELS
from lianxin.contracts.cases import CASE_STATES
from lianxin.spreadsheets import to_csv
from services.console.app.desk import Desk
from services.console.domain.board import (
    CSV_COLUMNS,
    BoardFilter,
    BoardPage,
    BoardRow,
    FilterChoices,
    csv_rows,
    folded,
    matching,
    may_read_private,
    newest_first,
    order_key,
    page_of,
    read_filter,
    seen_by,
    shown_text,
)
from services.console.domain.sessions import Session
from services.console.store import ConsoleStore


@dataclass(frozen=True)
class CaseEvent:
    """A case event as the board folds it: its type and payload (the `about` block first)."""

    type: str
    payload: Mapping[str, Any]

    @property
    def community_id(self) -> str:
        return self.payload["community_id"]

    @property
    def case_id(self) -> str:
        return self.payload["case_id"]


def fold_events(store: ConsoleStore, events: list[CaseEvent], batch_id: str = "") -> None:
    """One community's events of a batch (lianxin.bus.batches): each case's row changed
    once, under its lease, by all its events in version order; then the community's log
    numbers those cases in one update. Events of the same case arrive together (reported,
    triaged, dispatched within a fraction of a second), so a batch writes a case once
    where one change per event wrote it three or four times."""
    by_case: dict[str, list[CaseEvent]] = {}
    for event in events:
        by_case.setdefault(event.case_id, []).append(event)
    for case_id, its in by_case.items():
        with store.row_change(case_id) as change:
            row = change.value
            for event in sorted(its, key=lambda event: event.payload["case_version"]):
                row = folded(row, event.type, event.payload)
            if row != change.value:
                change.save(row)
    store.log_changes(events[0].community_id, list(by_case))


TAXONOMY_SECONDS = 300


@dataclass(frozen=True)
class Snapshot:
    """A community's rows at one moment, newest first, and the grids they name: a copy
    another request's changes never reach."""

    ordered: list[BoardRow]
    grids: list[str]


@dataclass
class CommunityRows:
    """One community's rows in this process, and the board's order of them, kept by
    placing a changed row where it stands rather than sorting 20,000 rows per change."""

    seq: int
    rows: dict[str, BoardRow] = field(default_factory=dict)
    ordered: list[BoardRow] = field(default_factory=list)  # newest first
    grids: list[str] = field(default_factory=list)  # every grid a row names
    positions: dict[str, int] | None = None  # case id → index in `ordered`, when known
    lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self, rows: list[BoardRow]) -> None:
        self.rows = {row.case_id: row for row in rows}
        self._sort()

    def apply(self, changed: list[BoardRow]) -> None:
        """Each changed row in its place: where it stood when its place is the same, first
        when it is a new newest report, else the whole board sorted again."""
        resort = False
        for row in changed:
            old = self.rows.get(row.case_id)
            self.rows[row.case_id] = row
            if old is not None and order_key(old) == order_key(row):
                self.ordered[self._positions()[row.case_id]] = row
            elif old is None and (not self.ordered or order_key(row) > order_key(self.ordered[0])):
                self.ordered.insert(0, row)
                self.positions = None
            else:
                resort = True
            if row.grid_id not in self.grids:
                self.grids = sorted({*self.grids, row.grid_id})
        if resort:
            self._sort()

    def _sort(self) -> None:
        self.ordered = newest_first(self.rows.values())
        self.grids = sorted({row.grid_id for row in self.ordered})
        self.positions = None

    def _positions(self) -> dict[str, int]:
        if self.positions is None:
            self.positions = {row.case_id: index for index, row in enumerate(self.ordered)}
        return self.positions


class BoardMirror:
    """This process's copy of each community's board rows, brought up to date on read, and
    of cases' taxonomy as the board uses it."""

    def __init__(self, store: ConsoleStore):
        self._store = store
        self._communities: dict[str, CommunityRows] = {}
        self._lock = threading.Lock()
        self._taxonomy: tuple[Taxonomy, float] | None = None

    def taxonomy(self, fetch: Callable[[], list[dict[str, Any]]]) -> Taxonomy:
        """Cases' categories as the board uses them, asked for again every TAXONOMY_SECONDS
        (cases reads its taxonomy at start: it changes with a deploy, not by the minute)."""
        held = self._taxonomy
        if held is None or held[1] < time.monotonic():
            held = self._taxonomy = (Taxonomy.of(fetch()), time.monotonic() + TAXONOMY_SECONDS)
        return held[0]

    def community(self, community_id: str) -> Snapshot:
        """The community's rows as the events last said, read through the change log."""
        held = self._held(community_id)
        with held.lock:
            log = self._store.change_log(community_id)
            changed = log.changed_since(held.seq)
            if changed is None:  # behind the log's window: load the community again
                held.load(self._store.community_rows(community_id))
            else:
                rows = (self._store.row(case_id) for case_id in changed)
                held.apply([row for row in rows if row is not None])
            held.seq = log.seq
            return Snapshot(list(held.ordered), list(held.grids))

    def rows(self, community_id: str) -> list[BoardRow]:
        """The community's rows, newest first."""
        return self.community(community_id).ordered

    def _held(self, community_id: str) -> CommunityRows:
        with self._lock:
            held = self._communities.get(community_id)
            if held is None:  # seq -1: the first read loads the community
                held = self._communities[community_id] = CommunityRows(-1)
            return held


# -- the board's page and its export --------------------------------------------------------


@dataclass(frozen=True)
class Taxonomy:
    """What the board needs of cases' categories: their names, teams and which are private."""

    names: dict[str, Mapping[str, str]]
    teams: list[str]
    private: frozenset[str]

    @classmethod
    def of(cls, categories: list[dict[str, Any]]) -> Taxonomy:
        return cls(
            names={category["code"]: category["name"] for category in categories},
            teams=sorted({category["team"] for category in categories if category.get("team")}),
            private=frozenset(c["code"] for c in categories if c.get("private")),
        )


@dataclass(frozen=True)
class Board:
    """The board as one person asked for it: the filter, its errors, the page."""

    wanted: BoardFilter
    errors: dict[str, str]
    choices: FilterChoices
    taxonomy: Taxonomy
    chosen: list[BoardRow]
    may_read_private: bool

    def page(self) -> BoardPage:
        return page_of(self.chosen, self.wanted.page)

    def text_of(self, row: BoardRow) -> str | None:
        return shown_text(row, self.taxonomy.private, self.may_read_private)


def board(mirror: BoardMirror, desk: Desk, args: Mapping[str, str], zone: ZoneInfo) -> Board:
    """The person's rows (their community, their grids) that the query's filter keeps."""
    session = desk.session
    community = mirror.community(session.scope.community_id)
    rows = seen_by(session.scope, community.ordered)
    taxonomy = mirror.taxonomy(lambda: desk.services.categories(desk.token))
    grids = sorted(session.scope.grids or community.grids)
    choices = FilterChoices(CASE_STATES, grids, sorted(taxonomy.names), taxonomy.teams, CHANNELS)
    wanted, errors = read_filter(args, choices)
    may_read = may_read_private(session.role)
    kept = matching(rows, wanted, taxonomy.private, zone, may_read)
    return Board(wanted, errors, choices, taxonomy, kept, may_read)


def export(found: Board, zone: ZoneInfo) -> str:
    """The filtered rows as CSV, every page of them."""
    lines = csv_rows(found.chosen, found.taxonomy.private, found.may_read_private, zone)
    return to_csv(CSV_COLUMNS, lines)


def waiting_counts(
    mirror: BoardMirror, session: Session, lists: Mapping[str, Mapping[str, str]], zone: ZoneInfo
) -> dict[str, int]:
    """How many of the person's cases each list of waiting work holds, exactly (each list
    is a board filter of states and flags: domain/figures.py)."""
    rows = seen_by(session.scope, mirror.rows(session.scope.community_id))
    return {
        name: len(matching(rows, BoardFilter(**query), frozenset(), zone, False))
        for name, query in lists.items()
    }
