"""The triage queue (待分类), a case's page, and the staff actions as forms."""

from __future__ import annotations

from lianxin.http.reading import read_form
from services.console.app import cases
from services.console.app.desk import Desk
from services.console.http.errors import PageNotFound
from services.console.http.forms import ACTION_FORMS
from services.console.http.pages import Pages, page, redirect

DONE = {action: f"done_{action}" for action in ACTION_FORMS}


class CasePages(Pages):
    @page("GET", "/triage")
    def triage_queue(self, request):
        session = self.signed_in(request)
        queue = cases.triage_queue(Desk.of(self.parts.services, session))
        return self.render(request, "cases/triage.html", session, cases=queue)

    @page("GET", "/cases/<string:case_id>")
    def case_page(self, request, case_id):
        session = self.signed_in(request)
        shown = cases.case_page(Desk.of(self.parts.services, session), case_id)
        done = DONE.get(request.args.get("done", ""))
        return self.render(request, "cases/case.html", session, done=done, **shown)

    @page("POST", "/cases/<string:case_id>/<string:action>")
    def act(self, request, case_id, action):
        """One staff action: its form read by its own schema (an unknown action is 404)."""
        form = ACTION_FORMS.get(action)
        if form is None:
            raise PageNotFound(f"No action {action}.")
        body = read_form(request, form())
        session = self.signed_in(request, body)
        cases.act(Desk.of(self.parts.services, session), case_id, action, body)
        return redirect(f"/cases/{case_id}?done={action}")

