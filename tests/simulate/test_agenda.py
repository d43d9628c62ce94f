"""The agenda's closing work: run once the quarter's timed acts are done, in the order
given, even when the agenda fell so far behind the clock that timed acts were dropped."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from lianxin.clock import ScaledClock
from scripts.simulate.timeline import Agenda

START = datetime(2026, 7, 1, tzinfo=UTC)


def test_closing_work_runs_after_the_timed_acts_even_when_they_were_dropped():
    clock = ScaledClock(START, time.time(), 3600.0)  # an hour a second, running
    agenda = Agenda(clock, until=START + timedelta(minutes=30), workers=2)
    done: list[str] = []
    agenda.at(START, "in time", lambda: done.append("timed"))
    agenda.at(START + timedelta(hours=2), "after the quarter", lambda: done.append("late"))
    agenda.at_end("count the paper ballots", lambda: done.append("paper"))
    agenda.at_end("close the quarter", lambda: done.append("close"))
    agenda.run()
    assert done == ["timed", "paper", "close"]
    assert agenda.dropped == 1 and agenda.done == 3 and not agenda.failures


def test_a_closing_act_that_fails_is_recorded_and_the_next_still_runs():
    clock = ScaledClock(START, time.time(), 3600.0)
    agenda = Agenda(clock, until=START, workers=1)
    done: list[str] = []
    agenda.at_end("close", lambda: 1 / 0)
    agenda.at_end("publish", lambda: done.append("published"))
    agenda.run()
    assert done == ["published"]
    assert [failure.name for failure in agenda.failures] == ["close"]


def test_an_arrival_too_late_to_start_is_shed_and_a_story_s_next_step_still_runs():
    clock = ScaledClock(START, time.time() - 2, 3600.0)  # already two hours (2 real s) in
    agenda = Agenda(clock, until=START + timedelta(hours=3), workers=1)
    done: list[str] = []
    agenda.at(START, "report", lambda: done.append("late report"), arrival=True)
    agenda.at(START, "case look", lambda: done.append("late look"))
    agenda.at(clock.now(), "report", lambda: done.append("report on time"), arrival=True)
    agenda.run()
    assert done == ["late look", "report on time"]
    assert agenda.shed == 1 and agenda.done == 2 and agenda.behind == 0
