"""The page route: lianxin's one HTTP pipeline (HttpRoute) answering HTML, and what every
page shares — the session from its cookie, the CSRF check, the language, rendering.

A page is never in the OpenAPI document (it is not an API). A GET only reads: every change
is a POST of a form that carries its CSRF token, answered by a redirect (303) to a page
that shows the outcome. Errors answer as pages, in both languages; an ended session sends
the browser to the sign-in page (htmx's requests are told so by `HX-Redirect`).

Every page's language switch returns the browser to a page a GET opens (ReturnPaths): a
page a POST answered (a confirm step, a form shown again with its errors) has a path that
only takes a POST, and returning there would answer 405.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from html import escape
from typing import Any
from urllib.parse import quote

from nameko.extensions import DependencyProvider
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from lianxin.clock import utc_now
from lianxin.http.entrypoint import HttpRoute
from lianxin.http.errors import Failure
from services.console.app import sign_in
from services.console.compose import Parts, load_labels
from services.console.domain import csrf
from services.console.domain.labels import (
    HTML_LANG,
    LANGUAGE_COOKIE,
    LANGUAGES,
    language_of,
    local_time,
)
from services.console.domain.sessions import LIFETIME, Session
from services.console.domain.staff import CONSOLE_ROLES, STAFF_ROLES
from services.console.http.errors import ERRORS, CsrfRefused, NotForRole, SignInRequired

SESSION_COOKIE = "lx_session"
PERSONAL = frozenset(CONSOLE_ROLES)  # a person's own pages (/my) serve whoever signed in
SIGN_IN_PATH = "/sign-in"
PRE_SESSION_SECONDS = 3600  # the sign-in steps' and a resident's form steps' cookie
# No framing, scripts and styles only from the console itself, forms only to itself
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
ERROR_LABELS = {  # code → (title, text) label keys
    "not_found": ("not_found_title", "not_found_text"),
    "route_not_found": ("not_found_title", "not_found_text"),
    "csrf": ("forbidden_title", "forbidden_text"),
    "invalid_request": ("invalid_title", "invalid_title"),
    "unavailable": ("unavailable_title", "unavailable_text"),
    "staff_only": ("forbidden_title", "staff_only_text"),
    "not_for_role": ("forbidden_title", "not_for_role_text"),
    "nothing_to_apply": ("refused", "nothing_to_apply_text"),
}
UNKNOWN_PATH = "/<path:unknown>"  # the page of a path no other page route takes as asked
RULE_VALUE = re.compile(r"<(?:\w+:)?(\w+)>")  # a werkzeug rule's value: `<string:case_id>`


class PageRoute(HttpRoute):
    """An HTML page. A worker returns `(status, html)`, `(status, headers, html)` or a
    Response (a redirect)."""

    def __init__(self, method: str, url: str, errors=None, **kwargs: Any):
        kwargs.setdefault("documented", False)
        super().__init__(method, url, errors, **kwargs)

    def setup(self) -> None:
        super().setup()
        self._labels = load_labels()  # the error pages' words: the process's one table

    def render(self, status, body, headers, request) -> Response:
        return Response(
            body, status=status, headers={**SECURITY_HEADERS, **(headers or {})},
            mimetype="text/html",
        )  # fmt: skip

    def render_failure(self, failure: Failure, request: Request) -> Response:
        if failure.status == 401:  # no session, or another service no longer takes the token
            return to_sign_in(request)
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        title, text = ERROR_LABELS.get(failure.code, ("refused", "refused"))
        words = self._labels.text
        detail = failure.message
        if "state" in failure.details:
            detail += f" ({failure.details['state']})"
        html = (
            f'<!doctype html><html lang="{HTML_LANG[language]}"><head><meta charset="utf-8">'
            f"<title>{escape(words(title, language))}</title>"
            '<link rel="stylesheet" href="/static/console.css"></head><body><main>'
            f'<h1>{escape(words(title, language))}</h1><p class="error" role="alert">'
            f"{escape(words(text, language))}</p><p class=\"muted\">{escape(detail)}</p>"
            f'<p><a href="/">{escape(words("back_home", language))}</a></p></main></body></html>'
        )
        return Response(html, status=failure.status, headers=SECURITY_HEADERS, mimetype="text/html")


def to_sign_in(request: Request) -> Response:
    if request.headers.get("HX-Request"):
        return Response("", status=200, headers={"HX-Redirect": SIGN_IN_PATH})
    return redirect(SIGN_IN_PATH)


def redirect(location: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response("", status=303, headers={"Location": location, **(headers or {})})


page = partial(PageRoute.decorator, errors=ERRORS)


class ReturnPaths(DependencyProvider):
    """The path a page's language switch returns to, for the page a worker renders: a page
    a GET opens. Each page route's return rule is found once, at start, among the page
    routes of this service's container (its GET rules); a worker gets it filled with its
    request's values. What a POST's form held is not carried back: the page opens as a
    GET shows it (the scan-to-report steps start again at the community's page).

    A path no page route takes as asked (UNKNOWN_PATH's page: a POST-only path opened by
    GET, or no page's path at all) returns to the nearest GET page of the route that takes
    the path by another method, or home."""

    def setup(self) -> None:
        routes = [
            found
            for found in self.container.entrypoints
            if isinstance(found, PageRoute) and found.url != UNKNOWN_PATH
        ]
        get_rules = frozenset(route.url for route in routes if "GET" in methods_of(route))
        self.rules = {route: nearest_get_rule(route.url, get_rules) for route in routes}
        known = Map(
            [Rule(route.url, methods=methods_of(route), endpoint=self.rules[route])
             for route in routes],
            merge_slashes=False,  # `/my//cases/…` is no page's path, not a redirect to one
        )  # fmt: skip
        self.known = known.bind("console")

    def get_dependency(self, worker_ctx) -> str | None:
        """None for a worker that is not a page's (an event's, a timer's)."""
        if not isinstance(worker_ctx.entrypoint, PageRoute):
            return None
        request = worker_ctx.args[0]
        rule = self.rules.get(worker_ctx.entrypoint)
        if rule is None:
            return self.unmatched(request.path).return_path
        return filled(rule, request.path_values)

    def unmatched(self, path: str) -> Unmatched:
        """What a request no page route took is told: the methods the page routes take at
        `path` (none for an unknown path) and the page to go to instead. Only the rules
        are matched: nothing is read, so a case's or a token's path says no more than
        the route's shape."""
        allowed = tuple(sorted(self.known.allowed_methods(path)))
        if not allowed:
            return Unmatched((), "/")
        rule, values = self.known.match(path, method=allowed[0])
        return Unmatched(allowed, filled(rule, values))


@dataclass(frozen=True)
class Unmatched:
    allowed: tuple[str, ...]  # e.g. ("POST",) for a form's path opened by GET
    return_path: str


class UnmatchedPaths(ReturnPaths):
    """For UNKNOWN_PATH's page: what its request is told (Unmatched), found as its language
    switch finds its return path."""

    def get_dependency(self, worker_ctx) -> Unmatched | None:
        if getattr(worker_ctx.entrypoint, "url", None) != UNKNOWN_PATH:
            return None
        return self.unmatched(worker_ctx.args[0].path)


def methods_of(route: PageRoute) -> list[str]:
    return route.method.split(",")


def nearest_get_rule(rule: str, get_rules: frozenset[str]) -> str:
    """`rule` itself when a GET page has it, else `rule` with its last segments taken off
    until a GET page has what is left (`/` at the end): `/my/cases/<string:case_id>/<string:
    action>` returns to `/my/cases/<string:case_id>`. Rules, not paths, are matched, so a
    GET rule with a value in that place (`/r/pact/<string:community_id>/<string:quarter>`)
    cannot take a POST's last segment (`…/code`) for its value."""
    while rule not in get_rules and rule != "/":
        rule = rule.rsplit("/", 1)[0] or "/"
    return rule


def filled(rule: str, values: Mapping[str, Any]) -> str:
    """The rule's path with the request's values in their places."""
    return RULE_VALUE.sub(lambda found: quote(str(values[found.group(1)]), safe=""), rule)


class Pages:
    """Mixed into the console's service: what every page handler uses."""

    parts: Parts
    access_replica: Any  # lianxin.access.store.AccessReplicaStore, from PersonAccessReplica
    return_path = ReturnPaths()  # where this worker's page's language switch returns to

    def session_of(self, request: Request) -> Session | None:
        """The session the request's cookie names, while it stands."""
        return sign_in.current(
            self.parts.store,
            request.cookies.get(SESSION_COOKIE),
            self.access_replica.person,
            utc_now(),
        )

    def signed_in(
        self,
        request: Request,
        form: Mapping[str, Any] | None = None,
        roles: frozenset[str] = STAFF_ROLES,
    ) -> Session:
        """The request's session, or SignInRequired; a form must carry its CSRF token. A
        page serves the staff's roles unless it says otherwise: a volunteer's own pages
        (`/my`) name every role (PERSONAL), and a volunteer elsewhere is refused."""
        session = self.session_of(request)
        if session is None:
            raise SignInRequired("Sign in first.")
        if session.role not in roles:
            raise NotForRole(f"This page is not for a {session.role}.")
        if form is not None and not csrf.matches(session.csrf, form.get("csrf")):
            raise CsrfRefused("The form's token is missing or wrong.")
        return session

    def render(
        self,
        request: Request,
        template: str,
        session: Session | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> tuple[int, Mapping[str, str], str]:
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        zone = self.parts.zone_of(session.scope.community_id if session else None)
        words = self.parts.labels.text
        html = self.parts.templates.get_template(template).render(
            lang=language,
            html_lang=HTML_LANG[language],
            other_lang=next(lang for lang in LANGUAGES if lang != language),
            t=lambda key: words(key, language),
            term=lambda kind, value: self.parts.labels.term(kind, value, language),
            when=lambda at: local_time(at, zone),
            zone=str(zone),
            session=session,
            csrf_token=context.pop("csrf_token", None) or form_token(request, session),
            path=self.return_path,
            **context,
        )
        return status, dict(headers or {}), html

    def render_signed_out(
        self,
        request: Request,
        template: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        keep_seconds: int = PRE_SESSION_SECONDS,
        **context: Any,
    ) -> tuple[int, dict[str, str], str]:
        """A page opened without a session (sign-in, a resident's page, a case opened from
        a message's link, a path no page takes): its forms' CSRF token doubles the
        pre-session cookie — the browser's own, else a new one — set again here for
        `keep_seconds`. The cookie opens nothing; it only shows a form came from our page."""
        token = request.cookies.get(csrf.SIGN_IN_COOKIE) or csrf.new_token()
        status, sent, html = self.render(
            request, template, None, status, headers, csrf_token=token, **context
        )
        secure = self.parts.settings.secure_cookies
        sent["Set-Cookie"] = cookie(csrf.SIGN_IN_COOKIE, token, secure, keep_seconds)
        return status, sent, html

    def session_cookie(self, session_id: str) -> str:
        """The session's cookie: it outlives the idle limit; the session's end is the
        store's to say (domain/sessions.py)."""
        lifetime = int(LIFETIME.total_seconds())
        return cookie(SESSION_COOKIE, session_id, self.parts.settings.secure_cookies, lifetime)

    def cleared_session_cookie(self) -> str:
        return cookie(SESSION_COOKIE, "", self.parts.settings.secure_cookies, max_age=0)


def form_token(request: Request, session: Session | None) -> str:
    """The CSRF token a page's forms carry: the session's, or before sign-in the sign-in
    cookie's (domain/csrf.py)."""
    return session.csrf if session else request.cookies.get(csrf.SIGN_IN_COOKIE, "")


def cookie(name: str, value: str, secure: bool, max_age: int, http_only: bool = True) -> str:
    """A Set-Cookie value: HttpOnly and SameSite=Lax; Secure when the console is served
    over https."""
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)

