"""A volunteer's own pages (`/my`): the cases offered to them and those they took, their
duty and their hours. Every signed-in person may open them (PERSONAL); each shows only
what the other services answer to the person's own token."""

from __future__ import annotations

from lianxin.clock import utc_now
from services.console.app import my_cases
from services.console.app.desk import Desk
from services.console.app.my_cases import Holder
from services.console.http.pages import PERSONAL, Pages, page


class MyPages(Pages):
    @page("GET", "/my")
    def my_cases(self, request):
        return self.my_cases_view(request, self.signed_in(request, roles=PERSONAL))

    def my_cases_view(self, request, session, headers=None):
        """My cases for `session`: at `/my`, and the answer to a volunteer's sign-in from a
        page htmx drives (http/sign_in.py)."""
        holder = Holder.of_desk(Desk.of(self.parts.services, session))
        listed = my_cases.my_cases(holder, utc_now())
        return self.render(request, "my/cases.html", session, headers=headers, **listed)
