"""The progress routes as declared (http/progress.py): no key, the token in the path."""

from __future__ import annotations

from services.cases.domain.progress import AlreadyRated
from services.cases.http.errors import ERRORS
from services.cases.http.progress import ProgressHttp
from services.cases.http.schemas import RateSchema

METHODS = ("get_progress", "rate_by_progress", "get_progress_photo", "get_progress_thumbnail")


def test_the_progress_routes_take_no_key_their_token_is_the_credential():
    for method in METHODS:
        (route,) = getattr(ProgressHttp, method).nameko_entrypoints
        assert route.scope is None and not route.public, method
        assert route.url.startswith("/v1/progress/<string:token>")
        assert route.documented


def test_rating_is_the_one_post_read_as_any_rating_and_a_second_one_is_a_conflict():
    routes = [getattr(ProgressHttp, m).nameko_entrypoints for m in METHODS]
    posts = [route for (route,) in routes if route.method == "POST"]
    assert [route.url for route in posts] == ["/v1/progress/<string:token>/rating"]
    assert posts[0].body is RateSchema
    assert "Idempotency-Key" in [header["name"] for header in posts[0].headers]
    assert ERRORS[AlreadyRated] == (409, "already_rated")
