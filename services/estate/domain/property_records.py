"""How the property company's evaluation is stored: each domain value as its document and
back (the codecs of services/estate/store.py). Plain Python: no I/O.

Dates are ISO strings, moments UTC datetimes, tallies nested counts; a document read back
gives the value it was written from (tests/estate/domain/test_property_records.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.estate.domain.property_ballots import Ballot, OfflineEntry, Tally
from services.estate.domain.property_evaluation import Company, Evaluation, Quarter, Result
from services.estate.domain.property_verdict import Action, Figures, Plan, Standing, Thresholds


@dataclass(frozen=True)
class CastBallot:
    """A household's ballot of a quarter, as stored once (its id: property_ballots.vote_id)."""

    community_id: str
    estate_id: str
    quarter: str
    household_id: str
    ballot: Ballot
    at: datetime


@dataclass(frozen=True)
class Complaint:
    """A case counted against the estate's company (its id: the community and the case)."""

    community_id: str
    estate_id: str
    quarter: str
    case_id: str
    category: str
    at: datetime


def complaint_id(community_id: str, case_id: str) -> str:
    return f"{community_id}:{case_id}"


def evaluation_id(community_id: str, estate_id: str) -> str:
    return f"{community_id}:{estate_id}"


# -- tallies and ballots --


def tally_document(tally: Tally) -> dict[str, Any]:
    return {
        "overall": dict(tally.overall),
        "aspects": {k: dict(v) for k, v in tally.aspects.items()},
    }


def tally_from(document: Mapping[str, Any]) -> Tally:
    return Tally(dict(document["overall"]), {k: dict(v) for k, v in document["aspects"].items()})


def cast_document(cast: CastBallot) -> dict[str, Any]:
    return {
        "community_id": cast.community_id,
        "estate_id": cast.estate_id,
        "quarter": cast.quarter,
        "household_id": cast.household_id,
        "overall": cast.ballot.overall,
        "aspects": dict(cast.ballot.aspects),
        "comment": cast.ballot.comment,
        "at": cast.at,
    }


def cast_from(document: Mapping[str, Any]) -> CastBallot:
    ballot = Ballot(document["overall"], dict(document["aspects"]), document.get("comment", ""))
    return CastBallot(
        document["community_id"],
        document["estate_id"],
        document["quarter"],
        document["household_id"],
        ballot,
        document["at"],
    )


def complaint_document(complaint: Complaint) -> dict[str, Any]:
    return dict(complaint.__dict__)


def complaint_from(document: Mapping[str, Any]) -> Complaint:
    return Complaint(**{name: document[name] for name in Complaint.__dataclass_fields__})


# -- the estate's evaluation --


def evaluation_document(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "community_id": evaluation.community_id,
        "estate_id": evaluation.estate_id,
        "company": _company(evaluation.company) if evaluation.company else None,
        "past": [_company(company) for company in evaluation.past],
        "quarters": {key: _quarter(held) for key, held in evaluation.quarters.items()},
        "standing": _standing(evaluation.standing),
    }


def evaluation_from(document: Mapping[str, Any]) -> Evaluation:
    company = document.get("company")
    return Evaluation(
        community_id=document["community_id"],
        estate_id=document["estate_id"],
        company=_company_from(company) if company else None,
        past=tuple(_company_from(past) for past in document.get("past", ())),
        quarters={key: _quarter_from(held) for key, held in document.get("quarters", {}).items()},
        standing=_standing_from(document.get("standing") or {}),
    )


def _company(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "starts_on": company.starts_on.isoformat(),
        "ends_on": company.ends_on.isoformat(),
        "by": company.by,
        "at": company.at,
    }


def _company_from(document: Mapping[str, Any]) -> Company:
    return Company(
        document["name"],
        date.fromisoformat(document["starts_on"]),
        date.fromisoformat(document["ends_on"]),
        document["by"],
        document["at"],
    )


def _quarter(held: Quarter) -> dict[str, Any]:
    return {
        "offline": [_entry(entry) for entry in held.offline],
        "result": _result(held.result) if held.result else None,
        "actions": [_action(action) for action in held.actions],
    }


def _quarter_from(document: Mapping[str, Any]) -> Quarter:
    result = document.get("result")
    return Quarter(
        offline=tuple(_entry_from(entry) for entry in document.get("offline", ())),
        result=_result_from(result) if result else None,
        actions=tuple(_action_from(action) for action in document.get("actions", ())),
    )


def _entry(entry: OfflineEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "tally": tally_document(entry.tally),
        "by": entry.by,
        "at": entry.at,
        "reverses": entry.reverses,
        "reason": entry.reason,
    }


def _entry_from(document: Mapping[str, Any]) -> OfflineEntry:
    return OfflineEntry(
        document["seq"],
        tally_from(document["tally"]),
        document["by"],
        document["at"],
        document.get("reverses"),
        document.get("reason", ""),
    )


def _result(result: Result) -> dict[str, Any]:
    figures = result.figures
    return {
        "company": result.company,
        "online": tally_document(figures.online),
        "offline": tally_document(figures.offline),
        "complaints": figures.complaints,
        "households": figures.households,
        "thresholds": dict(result.thresholds.__dict__),
        "level": result.level,
        "reasons": list(result.reasons),
        "by": result.by,
        "at": result.at,
    }


def _result_from(document: Mapping[str, Any]) -> Result:
    figures = Figures(
        tally_from(document["online"]),
        tally_from(document["offline"]),
        document["complaints"],
        document["households"],
    )
    return Result(
        document["company"],
        figures,
        Thresholds.of(document["thresholds"]),
        document["level"],
        tuple(document["reasons"]),
        document["by"],
        document["at"],
    )


def _action(action: Action) -> dict[str, Any]:
    return {
        "kind": action.kind,
        "by": action.by,
        "at": action.at,
        "text": action.text,
        "due": action.due.isoformat() if action.due else None,
    }


def _action_from(document: Mapping[str, Any]) -> Action:
    due = document.get("due")
    return Action(
        document["kind"],
        document["by"],
        document["at"],
        document["text"],
        date.fromisoformat(due) if due else None,
    )


def _standing(standing: Standing) -> dict[str, Any]:
    plan = standing.plan
    return {
        "company": standing.company,
        "below_in_a_row": standing.below_in_a_row,
        "plan": None
        if plan is None
        else {
            "text": plan.text,
            "due": plan.due.isoformat(),
            "by": plan.by,
            "at": plan.at,
            "met_at": plan.met_at,
        },
    }


def _standing_from(document: Mapping[str, Any]) -> Standing:
    plan = document.get("plan")
    return Standing(
        document.get("company"),
        int(document.get("below_in_a_row", 0)),
        None
        if not plan
        else Plan(
            plan["text"],
            date.fromisoformat(plan["due"]),
            plan["by"],
            plan["at"],
            plan.get("met_at"),
        ),
    )
