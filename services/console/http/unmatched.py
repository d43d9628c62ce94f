"""A path no page takes as asked answers as a page, in the person's language: a form's path
opened by GET (a reloaded or bookmarked `/my/cases/<id>/accept`, a link scanner) is 405 with
`Allow: POST`, any other unknown path 404, each with a link to the nearest page a GET opens
(pages.ReturnPaths). A 405 says what is true, the path exists for another method, so a
browser, a proxy or a scanner does not take it for a dead link; it is found from the
routes' rules alone, so it says nothing of whether that case or token exists. Nothing is
read but the asker's own session (the header and the language switch), and nothing acted.

The JSON APIs the console serves (`/v1/openapi.json`) keep the JSON 404 every service
answers (lianxin.http.health) for the paths under `/v1/`.
"""

from __future__ import annotations

from lianxin.http.health import UNKNOWN_METHODS, refuse_unknown, unknown_route
from services.console.http.pages import UNKNOWN_PATH, Pages, UnmatchedPaths, page

API_PATHS = "/v1/<path:unknown>"
WORDS = {  # status → the labels of the page's title, text and link
    405: ("unmatched_title", "unmatched_text", "unmatched_back"),
    404: ("not_found_title", "not_found_text", "back_home"),
}


class UnmatchedPages(Pages):
    """Mixed in before HealthCheck: its `route_not_found` takes the place of HealthCheck's
    JSON one (nameko registers a name's entrypoints once, the class's own)."""

    unmatched = UnmatchedPaths()

    @page(UNKNOWN_METHODS, UNKNOWN_PATH)
    def route_not_found(self, request, unknown):
        """Signed out (a resident, a scanner), the language switch works as on the sign-in
        page: by its double-submit cookie, which opens nothing."""
        found = self.unmatched
        session = self.session_of(request)
        status = 405 if found.allowed else 404
        title, text, back = WORDS[status]
        shown = {"status": status, "title": title, "text": text, "back": back}
        if session:
            status, headers, html = self.render(request, "unmatched.html", session, **shown)
        else:
            status, headers, html = self.render_signed_out(request, "unmatched.html", **shown)
        if found.allowed:
            headers["Allow"] = ", ".join(found.allowed)
        return status, headers, html

    @unknown_route(API_PATHS)
    def api_route_not_found(self, request, unknown):
        refuse_unknown(request)
