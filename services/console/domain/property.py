"""The property company's evaluation (物业考评) as the console shows it: the estates with
their names, the paper-ballot form's counts, what staff are to do next. Plain Python.

The figures, the verdict and every rule are the estate service's (its answer is shown as
it came); here only what the pages need to lay it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lianxin.contracts.estate import PROPERTY_ASPECTS, PROPERTY_LEVELS, PROPERTY_SATISFACTION

ANSWERS = PROPERTY_SATISFACTION
ASPECTS = PROPERTY_ASPECTS
QUESTIONS = ("overall", *PROPERTY_ASPECTS)  # the ballot's questions, in order
# the action each level asks of staff (none for a quarter at the thresholds)
REQUIRED = {level: level for level in PROPERTY_LEVELS if level != "none"}
COUNT_FIELDS = tuple(f"{question}_{answer}" for question in QUESTIONS for answer in ANSWERS)


def counts_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """The paper-ballot form's quarter and flat fields (`overall_satisfied`,
    `cleaning_dissatisfied`, …) as the estate service's counts; an empty field is none."""

    def counts(question: str) -> dict[str, int]:
        return {answer: int(form.get(f"{question}_{answer}") or 0) for answer in ANSWERS}

    return {
        "quarter": form["quarter"],
        "overall": counts("overall"),
        "aspects": {aspect: counts(aspect) for aspect in ASPECTS},
    }


def percent(share: float | None) -> str:
    """`62.5%`; a dash where nothing was counted."""
    return "—" if share is None else f"{share * 100:.1f}%"


def estate_rows(
    estates: list[Mapping[str, Any]], evaluations: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Every estate of the community (roster's registry, by name), each with its
    evaluation when it has a company on record."""
    by_id = {evaluation["estate_id"]: evaluation for evaluation in evaluations}
    return [
        {"id": estate["code"], "name": estate["name"], "evaluation": by_id.get(estate["code"])}
        for estate in sorted(estates, key=lambda estate: estate["code"])
    ]


def next_action(evaluation: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The latest closed quarter and the action its verdict still asks of staff (or the
    open plan to mark met); (None, None) when nothing is asked."""
    history = evaluation.get("history") or []
    if not history:
        return None, None
    latest = history[0]
    done = {action["kind"] for action in latest.get("actions", ())}
    wanted = REQUIRED.get(latest["level"])
    if wanted and wanted not in done:
        return latest["quarter"], wanted
    plan = (evaluation.get("standing") or {}).get("plan")
    if plan and not plan.get("met_at"):
        return latest["quarter"], "plan_met"
    return None, None
