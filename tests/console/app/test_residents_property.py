"""A resident's ballot as the console sends it (services.console.app.residents_property):
only with a proof the console signed for that number and community, and the estate
service's refusals turned into the page's words. The estate service is a fake here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.console.apis import ApiError
from services.console.app.residents_property import (
    BallotRefused,
    NotOnRegister,
    VoteForm,
    cast,
    households,
)
from services.console.app.residents_report import Unverified
from services.console.domain.residents_report import proof

SECRET = "test-console-secret-0123456789"
NOW = datetime(2026, 11, 6, 2, 0, tzinfo=UTC)
PHONE = "13807310385"
ASPECTS = {
    "cleaning": "satisfied",
    "security": "satisfied",
    "repairs": "dissatisfied",
    "green_space": "basically_satisfied",
}


class Estate:
    """The two calls the page makes, answering as the estate service would."""

    def __init__(self, refusal: ApiError | None = None):
        self.refusal = refusal
        self.sent: list[dict] = []

    def property_voter(self, community: str, phone: str):
        if phone != PHONE:
            return None
        voted = "2026-11-05T01:00:00+00:00" if self.refusal else None
        return {"quarter": "2026-Q4", "households": [{"household_id": "h-1", "voted_at": voted}]}

    def property_ballot(self, body):
        if self.refusal:
            raise self.refusal
        self.sent.append(dict(body))
        return {"quarter": "2026-Q4", "household_id": body["household_id"]}


def form(phone: str = PHONE, community: str = "jingxiang", at: datetime = NOW) -> VoteForm:
    return VoteForm(phone, proof(SECRET, phone, community, at), "h-1", "dissatisfied", ASPECTS, "")


def test_a_ballot_goes_with_its_proven_number_once():
    estate = Estate()
    assert cast(estate, SECRET, "jingxiang", form(), NOW)["quarter"] == "2026-Q4"
    assert estate.sent[0]["phone"] == PHONE and estate.sent[0]["aspects"] == ASPECTS


@pytest.mark.parametrize(
    "sent",
    [
        form(community="elsewhere"),  # proved for another community
        form(at=NOW - timedelta(hours=2)),  # its proof ran out
        VoteForm("13900000000", form().proof, "h-1", "satisfied", ASPECTS, ""),  # another number
    ],
)
def test_a_ballot_without_its_number_s_proof_sends_nothing(sent):
    estate = Estate()
    with pytest.raises(Unverified):
        cast(estate, SECRET, "jingxiang", sent, NOW)
    assert estate.sent == []


def test_the_estate_service_s_refusals_become_the_page_s_words():
    voted = Estate(ApiError(409, "already_voted"))
    with pytest.raises(BallotRefused) as refused:
        cast(voted, SECRET, "jingxiang", form(), NOW)
    assert (refused.value.code, refused.value.voted_at) == (
        "already_voted",
        "2026-11-05T01:00:00+00:00",
    )
    with pytest.raises(NotOnRegister):
        cast(Estate(ApiError(404, "not_on_register")), SECRET, "jingxiang", form(), NOW)
    with pytest.raises(NotOnRegister):
        households(Estate(), "jingxiang", "13900000000")
    with pytest.raises(ApiError):
        cast(Estate(ApiError(503, "unavailable")), SECRET, "jingxiang", form(), NOW)
