"""The language switch returns to a page a GET opens: every page route of the console's
container, as nameko builds it at start, has its return rule among the container's GET
page rules, and a worker gets it filled with its request's values. A page a POST answered
(a confirm step, a form shown again) once sent the browser back to its POST-only path:
405."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.containers import ServiceContainer
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from lianxin.config import service_config
from lianxin.http.entrypoint import HttpRoute
from services.console.http.forms import LanguageForm
from services.console.http.pages import (
    UNKNOWN_PATH,
    PageRoute,
    ReturnPaths,
    Unmatched,
    UnmatchedPaths,
    nearest_get_rule,
)
from services.console.service import ConsoleService


@pytest.fixture(scope="module")
def container() -> ServiceContainer:
    """A console container as `nameko run` builds it (not started)."""
    return ServiceContainer(ConsoleService, service_config("console"))


@pytest.fixture(scope="module")
def return_paths(container) -> ReturnPaths:
    [provider] = [found for found in container.dependencies if type(found) is ReturnPaths]
    provider.setup()
    return provider


@pytest.fixture(scope="module")
def unmatched_paths(container) -> UnmatchedPaths:
    [provider] = [found for found in container.dependencies if type(found) is UnmatchedPaths]
    provider.setup()
    return provider


def entrypoint(container: ServiceContainer, url: str):
    [found] = [route for route in container.entrypoints if getattr(route, "url", None) == url]
    return found


def routes(provider: ReturnPaths, method: str) -> dict[str, PageRoute]:
    return {route.url: route for route in provider.rules if route.method == method}


def worker(route, path: str = "/", **values: str) -> SimpleNamespace:
    """A worker's context as nameko hands it to a dependency: the route, the request."""
    method = route.method.split(",")[0]
    request = Request(EnvironBuilder(path=path, method=method).get_environ())
    request.path_values = values  # as nameko's web server sets them
    return SimpleNamespace(entrypoint=route, args=(request,))


def test_every_page_returns_to_a_page_a_get_opens(return_paths):
    gets = routes(return_paths, "GET")
    assert all(return_paths.rules[route] == url for url, route in gets.items())
    posts = routes(return_paths, "POST")
    assert len(posts) > 40
    assert {url: return_paths.rules[route] for url, route in posts.items()
            if return_paths.rules[route] not in gets} == {}  # fmt: skip


@pytest.mark.parametrize(
    ("posted", "returns_to"),
    [
        ("/r/report/<string:community_id>/code", "/r/report/<string:community_id>"),
        ("/r/report/<string:community_id>/verify", "/r/report/<string:community_id>"),
        ("/my/cases/<string:case_id>/<string:action>", "/my/cases/<string:case_id>"),
        ("/v/<string:token>/resolve", "/v/<string:token>"),
        ("/notices/new", "/notices/new"),  # the form shown again: its own GET page
        ("/sign-in", "/sign-in"),
        ("/care/plans/<string:plan_id>/end", "/care"),
        # a GET rule with a value in that place (`…/<string:quarter>`) takes no POST's step
        ("/r/pact/<string:community_id>/code", "/r/pact/<string:community_id>"),
        ("/r/pact/<string:community_id>/observations/<string:observation_id>/answer",
         "/r/pact/<string:community_id>"),
    ],
)  # fmt: skip
def test_a_post_returns_to_its_nearest_get_page(return_paths, posted, returns_to):
    assert return_paths.rules[routes(return_paths, "POST")[posted]] == returns_to


def test_a_worker_gets_its_page_s_return_path_with_its_request_s_values(return_paths):
    posts, gets = routes(return_paths, "POST"), routes(return_paths, "GET")
    code_step = posts["/r/report/<string:community_id>/code"]
    assert return_paths.get_dependency(worker(code_step, community_id="jingxiang")) == (
        "/r/report/jingxiang"
    )
    confirm = posts["/my/cases/<string:case_id>/<string:action>"]
    assert return_paths.get_dependency(worker(confirm, case_id="LX-1", action="accept")) == (
        "/my/cases/LX-1"
    )
    case_page = gets["/my/cases/<string:case_id>"]
    quoted = return_paths.get_dependency(worker(case_page, case_id="LX 1/2"))
    assert quoted == "/my/cases/LX%201%2F2"
    timer = SimpleNamespace(entrypoint=object(), args=())
    assert return_paths.get_dependency(timer) is None  # no page, nothing to return to


def test_the_nearest_get_page_is_the_longest_on_the_way_and_home_at_worst():
    assert nearest_get_rule("/a/<string:b>/c", frozenset({"/", "/a"})) == "/a"
    assert nearest_get_rule("/a/<string:b>/c", frozenset({"/", "/d"})) == "/"


@pytest.mark.parametrize("elsewhere", ["//evil.example/x", "https://evil.example", "evil", "/a b"])
def test_the_switch_returns_only_to_a_path_of_the_console_s_own(elsewhere):
    """A form's `next` is the browser's to send: a forged one may not lead off the site."""
    assert "next" in LanguageForm().validate({"lang": "en", "next": elsewhere})
    assert LanguageForm().validate({"lang": "en", "next": "/r/report/jingxiang"}) == {}


@pytest.mark.parametrize(
    ("opened", "told"),
    [
        ("/my/cases/LX-1/accept", Unmatched(("POST",), "/my/cases/LX-1")),
        ("/r/report/jingxiang/code", Unmatched(("POST",), "/r/report/jingxiang")),
        ("/care/plans/CP-0123456789abcdef/end", Unmatched(("POST",), "/care")),
        ("/cases/LX-1/desk/accept", Unmatched(("POST",), "/cases/LX-1/desk")),
        ("/care", Unmatched(("GET", "HEAD"), "/care")),  # a DELETE to a GET page
        ("/my/cases/<b>/accept", Unmatched(("POST",), "/my/cases/%3Cb%3E")),
        ("/no/such/page", Unmatched((), "/")),
        ("/my//cases/LX-1/accept", Unmatched((), "/")),  # no page's path, not a redirect
        ("/care/", Unmatched((), "/")),
    ],
)  # fmt: skip
def test_a_path_no_page_takes_as_asked_is_told_its_methods_and_nearest_get_page(
    unmatched_paths, opened, told
):
    """Rules only: the answer is the same whether case LX-1 exists, or is another's."""
    assert unmatched_paths.unmatched(opened) == told


def test_the_unknown_path_s_page_returns_to_the_nearest_get_page(container, return_paths):
    """Its language switch, and its link, lead to a page a GET opens, never back to it."""
    unknown = entrypoint(container, UNKNOWN_PATH)
    assert unknown not in return_paths.rules
    opened = worker(unknown, "/my/cases/LX-1/accept", unknown="my/cases/LX-1/accept")
    assert return_paths.get_dependency(opened) == "/my/cases/LX-1"
    assert return_paths.get_dependency(worker(unknown, "/x", unknown="x")) == "/"


def test_unknown_paths_are_a_page_but_under_v1_an_api_s_json_404(container, unmatched_paths):
    """The console's page takes HealthCheck's place for its paths; `/v1/…` keeps the JSON
    answer an API client reads (`/v1/openapi.json` is the console's API)."""
    assert isinstance(entrypoint(container, UNKNOWN_PATH), PageRoute)
    api = entrypoint(container, "/v1/<path:unknown>")
    assert type(api) is HttpRoute
    assert unmatched_paths.get_dependency(worker(api, "/v1/x", unknown="x")) is None
