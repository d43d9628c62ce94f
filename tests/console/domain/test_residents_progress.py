"""A resident's progress page in plain words (domain/residents_progress.py and its
template): the steps, every stage and event cases may answer said in both languages, the
refusals, and the page rendered from cases' own view of a case in every state."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lianxin.access.progress_links import ProgressReader
from services.cases.domain import progress as cases_progress
from services.cases.domain.progress import progress_view
from services.cases.http.progress import ProgressSchema
from services.console.compose import load_labels
from services.console.domain import residents_progress
from services.console.domain.labels import LANGUAGES
from tests.console.app.test_case_page import rendered

LABELS = load_labels()
SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 12, 6, 1, 30, tzinfo=UTC)


def test_the_steps_mark_those_passed_and_the_current_one():
    shown = residents_progress.steps("handling")
    assert [(s["step"], s["status"]) for s in shown] == [
        ("reported", "done"), ("dispatched", "done"), ("handling", "current"),
        ("resolved", "todo"), ("closed", "todo"),
    ]  # fmt: skip
    assert residents_progress.steps("closed")[-1]["status"] == "current"
    assert residents_progress.steps("rejected") == []


def test_the_console_shows_the_same_steps_cases_answers():
    assert residents_progress.STEPS == cases_progress.STEPS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_stage_step_and_event_cases_may_answer_has_its_words(language):
    stages = {*cases_progress.STEPS, *cases_progress.ENDINGS}
    events = set(cases_progress.EVENT_OF_ACTION.values())
    keys = [
        *(f"progress_stage_{stage}" for stage in stages),
        *(f"progress_stage_text_{stage}" for stage in stages),
        *(f"progress_step_{step}" for step in residents_progress.STEPS),
        *(f"progress_event_{event}" for event in events),
        *(f"progress_star_{star}" for star in residents_progress.STARS),
        *residents_progress.REFUSALS.values(),
        "progress_refused_other",
    ]
    assert all(LABELS.table[key][language] for key in keys)


def test_a_refusal_is_said_by_cases_answer_and_anything_else_as_not_sent():
    assert residents_progress.refusal(409, "already_rated") == "progress_refused_rated"
    assert residents_progress.refusal(409, "invalid_transition") == "progress_refused_not_closed"
    assert residents_progress.refusal(403, "forbidden") == "progress_refused_not_reporter"
    assert residents_progress.refusal(422, "idempotency_key_reused") == "progress_refused_other"


def test_times_are_in_the_communitys_zone_and_an_unknown_zone_is_the_default():
    at = datetime(2026, 12, 6, 1, 30, tzinfo=UTC)
    view = {"reported_at": at, "resolved_at": None, "timeline": [{"at": at, "event": "x"}]}
    times = residents_progress.in_zone(view, SHANGHAI)
    assert times["reported"] == "2026-12-06 09:30" == times["timeline"][0]["when"]
    assert residents_progress.zone_named("Mars/Olympus", SHANGHAI) is SHANGHAI


def test_the_page_renders_every_case_as_cases_shows_it_with_no_name_or_phone():
    from tests.cases.factories import closed
    from tests.console.domain.test_case_actions import cases_in_every_condition

    handled = closed()  # dispatched to 石*, accepted, resolved, verified by p-staff-1
    rated = cases_progress.rate(handled, ProgressReader(handled.id, handled.id), 5, "好", AT)
    forms = 0
    for made in [*cases_in_every_condition(), handled, rated.case]:
        for reader in (ProgressReader(made.id, made.id), ProgressReader(made.id, "LX-other")):
            view = ProgressSchema().dump(progress_view(made, reader, [], "Asia/Shanghai"))
            html = rendered(
                "residents/progress.html", progress=view, token="tok",
                steps=residents_progress.steps(view["stage"]),
                times=residents_progress.in_zone(view, SHANGHAI), case_zone="Asia/Shanghai",
                form_key="k" * 20, refused=None, error_fields=[], thanked=False,
                stars=residents_progress.STARS,
            )  # fmt: skip
            assert view["number"] in html
            names = (made.assignee_name, made.assignee, made.resolved_by, "p-staff-1", "石*")
            for private in (*filter(None, names), "张三", "13807310001", "查验合格"):
                assert private not in html
            assert ('name="rating"' in html) == view["may_rate"]
            forms += view["may_rate"]
    assert forms >= 2, "the closed cases' reporters were offered the form"
