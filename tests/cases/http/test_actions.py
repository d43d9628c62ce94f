"""The actions on a case as declared (http/actions.py): one table, one route each, in the
shape every action shares. What each action does is the domain's (tests/cases/domain/);
its route is only this."""

from __future__ import annotations

from lianxin.http.entrypoint import HttpRoute
from services.cases.http.actions import CASE_ACTIONS, ActionsHttp
from services.cases.http.schemas import CaseSchema


def routes() -> dict[str, HttpRoute]:
    found = {}
    for action in CASE_ACTIONS:
        (entrypoint,) = getattr(ActionsHttp, action.method).nameko_entrypoints
        found[action.method] = entrypoint
    return found


def test_every_declared_action_is_one_post_route_of_its_own_path_answering_the_case():
    declared = routes()
    assert len(declared) == len(CASE_ACTIONS) == 17
    paths = {route.url for route in declared.values()}
    assert len(paths) == 17, "two actions share a path"
    for action in CASE_ACTIONS:
        route = declared[action.method]
        assert route.method == "POST"
        assert route.url == f"/v1/cases/<string:case_id>/{action.path}"
        assert route.body is action.body and route.scope == action.scope
        assert route.responses == {200: CaseSchema}


def test_only_the_reporters_actions_take_the_report_scope():
    scopes = {action.path: action.scope for action in CASE_ACTIONS}
    assert {path for path, scope in scopes.items() if "report" in scope} == {"rate", "withdraw"}
    assert set(scopes.values()) == {"act", "report", ("report", "act")}


def test_staff_withdraw_for_the_reporter_with_an_act_key_and_nobody_else_without_one():
    """The domain lets staff withdraw a case for its reporter (require_reporter_or_staff);
    the route lets their `act` key reach it, as the reporter's `report` key does."""
    (route,) = ActionsHttp.withdraw_case.nameko_entrypoints
    assert route.scope == ("report", "act")


def test_every_action_takes_an_idempotency_key():
    for route in routes().values():
        assert "Idempotency-Key" in [header["name"] for header in route.headers]


def test_a_work_orders_actions_are_the_same_route_on_the_orders_path():
    from services.cases.http.hotline import ORDER, HotlineHttp

    for method, path in (("return_order", "return"), ("extend_order", "extension")):
        (route,) = getattr(HotlineHttp, method).nameko_entrypoints
        assert route.method == "POST" and route.url == f"{ORDER}/{path}"
        assert route.scope == "act" and route.responses == {200: CaseSchema}
