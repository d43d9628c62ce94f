"""HTTP entrypoints of the property company's evaluation (物业考评): staff keep the estates'
companies, enter paper ballots, close quarters and record what the verdicts require
(`/v1/property/...`, a staff member's token through the console's key); the residents'
page finds a proven number's households and casts their ballots (`/v1/property/voters`,
`/v1/property/ballots`, the console's residents' key only). Another community's estate is
404; what the rule refuses is 409 with its reason."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from lianxin.access.actors import Forbidden
from lianxin.clock import utc_now
from lianxin.privacy import mask_phone
from lianxin.quarters import QUARTER
from lianxin.store.lease import LeaseBusy
from services.estate.app import property_ballots, property_evaluation
from services.estate.app.property_evaluation import EstateEvaluation, Live
from services.estate.app.register import HouseholdNotFound
from services.estate.domain.property_ballots import (
    AlreadyVoted,
    Ballot,
    BallotRefused,
    NothingToCorrect,
    OfflineAlreadyEntered,
    Tally,
)
from services.estate.domain.property_evaluation import (
    CompanyRefused,
    Evaluation,
    NoCompany,
    Quarter,
    QuarterClosed,
    QuarterNotDue,
)
from services.estate.domain.property_verdict import ActionRefused, Figures, Thresholds
from services.estate.http.errors import http
from services.estate.http.property_schemas import (
    ActionBody,
    BallotBody,
    CastSchema,
    CloseBody,
    CommunityQuery,
    CompanyBody,
    CorrectionBody,
    EvaluationSchema,
    EvaluationsSchema,
    OfflineBody,
    ThresholdsBody,
    ThresholdsSchema,
    VoterBody,
    VoterSchema,
)

ESTATE_PATH = "/v1/property/estates/<string:estate_id>"
STAFF_RAISES = (HouseholdNotFound, Forbidden, LeaseBusy)


class PropertyHttp:
    """Mixed into the estate service (services/estate/service.py)."""

    @http(
        "GET",
        "/v1/property/estates",
        summary="The community's estates under contract, each with this quarter's figures "
        "so far and the verdict the rule would give now, and its closed quarters (staff)",
        query=CommunityQuery,
        responses={200: EvaluationsSchema},
        raises=STAFF_RAISES,
        scope="read",
    )
    def property_estates(self, request, actor, query):
        community = query["community_id"]
        now = utc_now()
        rules = self.parts.property_rules
        found = property_evaluation.evaluations(self.parts.property, rules, community, actor, now)
        answer = {
            "community_id": community,
            "quarter": rules.now_quarter(now),
            "timezone": str(rules.zone),
            "thresholds": property_evaluation.thresholds(self.parts.property, rules, community),
            "estates": [_evaluation(held) for held in found],
        }
        return 200, EvaluationsSchema().dump(answer)

    @http(
        "GET",
        ESTATE_PATH,
        summary="One estate's evaluation: its company, this quarter (with the latest "
        "comments, numbers masked), the closed quarters and the actions (staff)",
        query=CommunityQuery,
        responses={200: EvaluationSchema},
        raises=STAFF_RAISES,
        scope="read",
    )
    def property_estate(self, request, actor, query, estate_id):
        rules = self.parts.property_rules
        now = utc_now()
        held = property_evaluation.estate_evaluation(
            self.parts.property, rules, query["community_id"], estate_id, actor, now
        )
        return 200, EvaluationSchema().dump(_evaluation(held))

    @http(
        "PUT",
        ESTATE_PATH + "/company",
        summary="The estate's property company and its contract period; the one before "
        "goes on the record (staff; the same contract again changes nothing)",
        body=CompanyBody,
        responses={200: EvaluationSchema},
        raises=(*STAFF_RAISES, CompanyRefused),
        scope="act",
    )
    def property_company(self, request, actor, body, estate_id):
        property_evaluation.set_company(
            self.parts.property,
            body["community_id"],
            estate_id,
            body["name"],
            body["starts_on"],
            body["ends_on"],
            actor,
            utc_now(),
        )
        return self._estate_answer(body["community_id"], estate_id, actor)

    @http(
        "POST",
        ESTATE_PATH + "/offline",
        summary="This quarter's paper ballots, counted per answer: once (409 offline_entered "
        "after; a correction changes them)",
        body=OfflineBody,
        responses={200: EvaluationSchema},
        raises=(*STAFF_RAISES, BallotRefused, OfflineAlreadyEntered, QuarterClosed),
        scope="act",
    )
    def property_offline(self, request, actor, body, estate_id):
        return self._paper_ballots(actor, body, estate_id, reason=None)

    @http(
        "POST",
        ESTATE_PATH + "/offline/corrections",
        summary="This quarter's paper ballots corrected: the standing entry reversed with "
        "the reason, the corrected counts entered",
        body=CorrectionBody,
        responses={200: EvaluationSchema},
        raises=(*STAFF_RAISES, BallotRefused, NothingToCorrect, QuarterClosed),
        scope="act",
    )
    def property_offline_correction(self, request, actor, body, estate_id):
        return self._paper_ballots(actor, body, estate_id, reason=body["reason"])

    @http(
        "POST",
        ESTATE_PATH + "/quarters/<string:quarter>/close",
        summary="Close the quarter: its ballots and complaints counted, judged and frozen "
        "(409 quarter_closed the second time)",
        body=CloseBody,
        responses={200: EvaluationSchema},
        raises=(*STAFF_RAISES, QuarterClosed, QuarterNotDue, NoCompany),
        scope="act",
    )
    def property_close(self, request, actor, body, estate_id, quarter):
        property_evaluation.close_quarter(
            self.parts.property,
            self.parts.property_rules,
            body["community_id"],
            estate_id,
            _quarter(quarter),
            actor,
            utc_now(),
        )
        return self._estate_answer(body["community_id"], estate_id, actor)

    @http(
        "POST",
        ESTATE_PATH + "/quarters/<string:quarter>/actions",
        summary="Record what the latest closed quarter's verdict requires: the warning "
        "meeting (约谈), the rectification plan with its date, the replacement "
        "recommendation, or the plan met",
        body=ActionBody,
        responses={200: EvaluationSchema},
        raises=(*STAFF_RAISES, ActionRefused),
        scope="act",
    )
    def property_action(self, request, actor, body, estate_id, quarter):
        property_evaluation.record_action(
            self.parts.property,
            self.parts.property_rules,
            body["community_id"],
            estate_id,
            _quarter(quarter),
            body["kind"],
            body["text"],
            body["due"],
            actor,
            utc_now(),
        )
        return self._estate_answer(body["community_id"], estate_id, actor)

    @http(
        "PUT",
        "/v1/property/thresholds",
        summary="The community's thresholds (staff); a closed quarter keeps those it was judged by",
        body=ThresholdsBody,
        responses={200: ThresholdsSchema},
        raises=STAFF_RAISES,
        scope="act",
    )
    def property_thresholds(self, request, actor, body):
        chosen = property_evaluation.set_thresholds(
            self.parts.property,
            self.parts.property_rules,
            body["community_id"],
            {name: body[name] for name in Thresholds.__dataclass_fields__},
            actor,
            utc_now(),
        )
        return 200, ThresholdsSchema().dump(chosen)

    @http(
        "POST",
        "/v1/property/voters",
        summary="The households a proven number is on, with their estate's company and "
        "whether they voted this quarter (the residents' page's key only)",
        body=VoterBody,
        responses={200: VoterSchema},
        raises=(property_ballots.NotOnRegister, Forbidden),
        scope="resident",
    )
    def property_voters(self, request, actor, body):
        found = property_ballots.voter(
            self.parts.property,
            self.parts.property_rules,
            self.parts.digest,
            body["community_id"],
            body["phone"],
            actor,
            utc_now(),
        )
        answer = {
            "community_id": body["community_id"],
            "quarter": found[0].quarter,
            "households": [_voter(voter) for voter in found],
        }
        return 200, VoterSchema().dump(answer)

    @http(
        "POST",
        "/v1/property/ballots",
        summary="A household's ballot of this quarter: one per household (409 already_voted "
        "from any of its numbers), refused once the quarter is closed (the residents' "
        "page's key only)",
        body=BallotBody,
        responses={201: CastSchema},
        raises=(
            property_ballots.NotOnRegister,
            Forbidden,
            AlreadyVoted,
            QuarterClosed,
            NoCompany,
            BallotRefused,
            LeaseBusy,
        ),
        scope="resident",
    )
    def property_ballot(self, request, actor, body):
        ballot = Ballot.of(body["overall"], body["aspects"], body["comment"])
        made = property_ballots.cast(
            self.parts.property,
            self.parts.property_rules,
            self.parts.digest,
            body["community_id"],
            body["phone"],
            body["household_id"],
            ballot,
            actor,
            utc_now(),
        )
        return 201, CastSchema().dump(made.__dict__)

    def _paper_ballots(self, actor, body, estate_id: str, reason: str | None):
        property_evaluation.paper_ballots(
            self.parts.property,
            self.parts.property_rules,
            body["community_id"],
            estate_id,
            body["quarter"],
            Tally.counted(body["overall"], body["aspects"]),
            actor,
            utc_now(),
            reason,
        )
        return self._estate_answer(body["community_id"], estate_id, actor)

    def _estate_answer(self, community_id: str, estate_id: str, actor) -> tuple[int, Any]:
        rules = self.parts.property_rules
        now = utc_now()
        held = property_evaluation.estate_evaluation(
            self.parts.property, rules, community_id, estate_id, actor, now
        )
        return 200, EvaluationSchema().dump(_evaluation(held))


def _quarter(text: str) -> str:
    """A quarter named in a path (`2026-Q4`), or 400 on its field."""
    try:
        return QUARTER(text)
    except ValidationError as refused:
        raise ValidationError({"quarter": refused.messages}) from refused


def _tally(tally: Tally) -> dict[str, Any]:
    return {
        "ballots": tally.ballots,
        "overall": tally.overall,
        "aspects": tally.aspects,
        "satisfaction": tally.satisfaction,
    }


def _figures(figures: Figures) -> dict[str, Any]:
    return {
        "online": _tally(figures.online),
        "offline": _tally(figures.offline),
        "ballots": _tally(figures.ballots),
        "complaints": figures.complaints,
        "households": figures.households,
        "complaints_per_100": figures.complaints_per_100,
    }


def _closed(quarter: str, held: Quarter) -> dict[str, Any]:
    result = held.result
    assert result is not None
    return {
        "quarter": quarter,
        "closed": True,
        "company": result.company,
        **_figures(result.figures),
        "thresholds": result.thresholds,
        "level": result.level,
        "reasons": list(result.reasons),
        "closed_by": result.by,
        "closed_at": result.at,
        "offline_entries": [_entry(e) for e in held.offline],
        "actions": list(held.actions),
        "comments": [],
    }


def _entry(entry) -> dict[str, Any]:
    return {**entry.__dict__, "tally": _tally(entry.tally)}


def _open(live: Live, found: Evaluation) -> dict[str, Any]:
    comments = [
        {"at": c.at, "overall": c.ballot.overall, "comment": mask_phone(c.ballot.comment)}
        for c in live.comments
    ]
    return {
        "quarter": live.quarter,
        "closed": False,
        "company": found.company.name if found.company else None,
        **_figures(live.figures),
        "level": live.level,
        "reasons": list(live.reasons),
        "closed_by": None,
        "closed_at": None,
        "offline_entries": [_entry(e) for e in found.quarter(live.quarter).offline],
        "actions": [],
        "comments": comments,
    }


def _evaluation(held: EstateEvaluation) -> dict[str, Any]:
    found = held.evaluation
    closed = sorted((q for q, kept in found.quarters.items() if kept.result), reverse=True)
    return {
        "community_id": found.community_id,
        "estate_id": found.estate_id,
        "company": found.company,
        "past": list(found.past),
        "open": [_open(live, found) for live in held.open],
        "history": [_closed(quarter, found.quarters[quarter]) for quarter in closed],
        "standing": found.standing,
    }


def _voter(voter: property_ballots.Voter) -> dict[str, Any]:
    household = voter.household
    return {
        "household_id": household.household_id,
        "estate_id": household.estate,
        "building": household.building,
        "unit": household.unit,
        "room": household.room,
        "company": voter.company.name if voter.company else None,
        "closed": voter.closed,
        "voted_at": voter.voted_at,
    }
