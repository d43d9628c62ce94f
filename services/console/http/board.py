"""The case board (案件): every case of the person's scope, filtered, paged, newest first,
and the filtered list as CSV. Both only read (GET); both read the board's read model
(app/board.py), never a listing of cases."""

from __future__ import annotations

from urllib.parse import urlencode

from werkzeug.wrappers import Response

from lianxin.clock import utc_now
from services.console.app import board
from services.console.app.desk import Desk
from services.console.domain.figures import list_named
from services.console.http.pages import SECURITY_HEADERS, Pages, page

CSV_NAME = "cases.csv"


class BoardPages(Pages):
    @page("GET", "/cases")
    def case_board(self, request):
        session = self.signed_in(request)
        zone = self.parts.zone_of(session.scope.community_id)
        return self._page(request, session, zone, self._board(request, session, zone))

    @page("GET", f"/{CSV_NAME}")
    def case_board_csv(self, request):
        """The filtered list, every page of it; a private case's text for staff only. A
        filter with a wrong field answers the board's page naming it."""
        session = self.signed_in(request)
        zone = self.parts.zone_of(session.scope.community_id)
        found = self._board(request, session, zone)
        if found.errors:
            return self._page(request, session, zone, found)
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{CSV_NAME}"',
        }
        return Response(
            "\ufeff" + board.export(found, zone), headers=headers, mimetype="text/csv"
        )  # a byte-order mark: spreadsheets read the Chinese as UTF-8

    def _board(self, request, session, zone) -> board.Board:
        desk = Desk.of(self.parts.services, session)
        return board.board(self.parts.board, desk, request.args, zone)

    def _page(self, request, session, zone, found: board.Board):
        shown = found.page()
        query = found.wanted.query(page=1)
        return self.render(
            request, "board/board.html", session,
            status=400 if found.errors else 200,
            board=found, shown=shown, choices=found.choices,
            named=list_named(query, utc_now(), zone),
            csv_link=f"/{CSV_NAME}?{urlencode(query)}",
            page_link=lambda number: f"/cases?{urlencode(found.wanted.query(page=number))}",
        )  # fmt: skip
