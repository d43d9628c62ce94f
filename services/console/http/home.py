"""The home page (工作台) and its figures, which htmx refreshes without a reload."""

from __future__ import annotations

from urllib.parse import urlencode

from lianxin.clock import utc_now
from services.console.app import home
from services.console.app.desk import Desk
from services.console.domain.figures import PERIOD_LISTS, WORKLISTS, list_query
from services.console.domain.staff import STAFF_ROLES
from services.console.http.errors import PageNotFound
from services.console.http.my import MyPages
from services.console.http.pages import PERSONAL, page, redirect

REFRESH_SECONDS = 30


class HomePages(MyPages):
    @page("GET", "/")
    def home(self, request):
        session = self.signed_in(request, roles=PERSONAL)
        if session.role not in STAFF_ROLES:
            return redirect("/my")  # a volunteer's home is their own cases
        return self.home_view(request, session)

    def landing(self, session) -> str:
        """Where `session` starts: the staff's home, or a volunteer's own cases."""
        return "/" if session.role in STAFF_ROLES else "/my"

    def landing_view(self, request, session, headers):
        """The page at `landing(session)`: the answer to signing in from a page htmx
        drives (http/sign_in.py), which saves the browser the redirect."""
        headers = {**headers, "HX-Push-Url": self.landing(session)}
        if session.role not in STAFF_ROLES:
            return self.my_cases_view(request, session, headers)
        return self.home_view(request, session, headers)

    def home_view(self, request, session, headers=None):
        figures = self._figures(session)
        return self.render(request, "home.html", session, headers=headers, figures=figures,
                           refresh_seconds=REFRESH_SECONDS)  # fmt: skip

    @page("GET", "/home/figures")
    def home_figures(self, request):
        """The figures alone: what htmx swaps in every REFRESH_SECONDS."""
        session = self.signed_in(request)
        return self.render(request, "_figures.html", session, figures=self._figures(session),
                           refresh_seconds=REFRESH_SECONDS)  # fmt: skip

    @page("GET", "/lists/<string:name>")
    def worklist(self, request, name):
        """A figure's list, as links of before had it: the board, filtered as it counts."""
        session = self.signed_in(request)
        if name not in WORKLISTS and name not in PERIOD_LISTS:
            raise PageNotFound(f"No list {name}.")
        zone = self.parts.zone_of(session.scope.community_id)
        return redirect(f"/cases?{urlencode(list_query(name, utc_now(), zone))}")

    def _figures(self, session):
        community = session.scope.community_id
        desk = Desk.of(self.parts.services, session)
        figures = home.figures(desk, self.parts.board, utc_now(), self.parts.zone_of(community))
        self.parts.learn_zone(community, figures["timezone"])
        return figures
