"""The forms a case's page offers (services/console/domain/case_actions.py) against cases'
own rules: for every console role, every state and every clock condition, the console
offers an action exactly when cases' domain would do it. Plain Python: cases' domain
functions are run, not read, so a change of the lifecycle table or of a role breaks this
test instead of leaving a form that is always refused or an action without a form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from services.cases.domain import clock_actions, lifecycle
from services.cases.domain.case import STAFF as CASES_STAFF
from services.cases.domain.case import (
    STATES,
    TRANSITIONS,
    By,
    Case,
    InvalidTransition,
    NotPermitted,
    require_role,
)
from services.cases.domain.clock_actions import ExtensionNotPending
from services.cases.domain.time_limits import AWAITING_RESOLUTION
from services.cases.http.views import case_view
from services.console.domain.case_actions import ACTIONS, CASES_PATHS, actions_for
from services.console.domain.case_actions import AWAITING_RESOLUTION as CONSOLE_AWAITING
from services.console.domain.staff import CONSOLE_ROLES
from tests.cases.factories import AT, TAXONOMY, member, triaged

LATER = AT + timedelta(days=1)
OTHER_OPEN = replace(triaged(), id="LX-OTHER", number="JX-20260306-0002")


def _merge(case: Case, by: By):
    require_role(by, CASES_STAFF, "merge cases")  # app/actions.merge's check, then the rule
    return lifecycle.merge(case, OTHER_OPEN, by, LATER)


ATTEMPTS: dict[str, Callable[[Case, By], object]] = {
    "triage": lambda c, by: lifecycle.triage_by_hand(
        c, TAXONOMY, "facility.lighting", None, by, LATER
    ),
    "assign": lambda c, by: lifecycle.assign(c, member("p-x"), "王五", "", by, LATER),
    "verify": lambda c, by: lifecycle.verify(c, by, "", LATER),
    "extension": lambda c, by: clock_actions.decide_extension(c, TAXONOMY, by, True, "", LATER),
    "suspend": lambda c, by: clock_actions.suspend(c, by, "等待住建部门", LATER),
    "resume": lambda c, by: clock_actions.resume(c, TAXONOMY, by, "", LATER),
    "merge": _merge,
    "reject": lambda c, by: lifecycle.reject(c, by, "不属于本社区", LATER),
    "reopen": lambda c, by: lifecycle.reopen(c, TAXONOMY, by, "未修好", LATER),
    "withdraw": lambda c, by: lifecycle.withdraw(c, by, "居民已自行处理", LATER),
    "note": lambda c, by: lifecycle.add_note(c, by, "已电话联系", (), LATER),
}
PENDING = {"until": LATER + timedelta(days=2), "reason": "等配件", "by": "p-v", "state": "pending"}


def cases_in_every_condition() -> list[Case]:
    """Every state, each with an extension waiting for a decision too, and suspended where
    a case can be (its clock running: a case that leaves those states is no longer)."""
    found = []
    for state in sorted(STATES):
        plain = replace(triaged(), state=state, resolved_by="p-repair-1")
        found += [plain, replace(plain, extension=PENDING)]
        if state in AWAITING_RESOLUTION:
            found.append(replace(plain, suspended_since=AT, suspension_reason="等待"))
    return found


def cases_would(action: str, case: Case, role: str) -> bool:
    by = By(f"p-{role}", "api", person_id=f"p-{role}", role=role, key_id="k-console")
    try:
        ATTEMPTS[action](case, by)
    except (InvalidTransition, NotPermitted, ExtensionNotPending):
        return False
    return True


def test_every_console_action_is_one_of_cases_and_has_an_attempt_here():
    assert set(ATTEMPTS) == set(ACTIONS)
    state_actions = {action for _, action in TRANSITIONS}
    assert {"triage", "assign", "verify", "merge", "reject", "reopen", "withdraw"} <= state_actions
    assert CASES_PATHS["extension"] == "extension/decision"
    assert CONSOLE_AWAITING == AWAITING_RESOLUTION


@pytest.mark.parametrize("role", CONSOLE_ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_form_is_offered_exactly_when_cases_would_do_it(role, action):
    for case in cases_in_every_condition():
        offered = action in actions_for(role, case_view(case))
        condition = (case.state, case.suspended_since is not None, bool(case.extension))
        assert offered == cases_would(action, case, role), (action, role, condition)
