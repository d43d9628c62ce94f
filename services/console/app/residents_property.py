"""A resident rates the property company (物业考评) from the public page `/r/property/<community>`.

They prove their number with an SMS code exactly as on the scan-to-report page (the same
codes, limits and proof: app/residents_report.py), then the estate service's register
says which households the number is on; the resident answers for one of them. The
estate service keeps one ballot per household a quarter, whichever of its numbers votes,
and refuses a ballot once staff closed the quarter: the page says either in words.

Everything goes through the residents' client (the console's residents' key); the proof
the vote form carries is checked again before the ballot is sent, so a form with a
forged or expired proof casts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.console.apis import ApiError
from services.console.app.residents_report import Unverified
from services.console.domain.phones import normalized
from services.console.domain.residents_report import proven


class PropertyVoting(Protocol):
    """What the page asks of the estate service (apis.Services with the residents' key)."""

    def property_voter(self, community: str, phone: str) -> dict[str, Any] | None: ...
    def property_ballot(self, body: Mapping[str, Any]) -> dict[str, Any]: ...


class NotOnRegister(Exception):
    """The number is on no household of the community's register."""


class BallotRefused(Exception):
    """The estate service refused the ballot: `code` says why in the page's words
    (already_voted with `voted_at`, quarter_closed, no_company), or `fields` are wrong."""

    def __init__(
        self, code: str, voted_at: str | None = None, fields: Mapping[str, Any] | None = None
    ):
        super().__init__(code)
        self.code = code
        self.voted_at = voted_at
        self.fields = dict(fields or {})


@dataclass(frozen=True)
class VoteForm:
    """A sent ballot form: the verified number, its proof, the household and the answers."""

    phone: str
    proof: str
    household_id: str
    overall: str
    aspects: Mapping[str, str]
    comment: str


def households(voting: PropertyVoting, community_id: str, phone: str) -> dict[str, Any]:
    """The proven number's households (NotOnRegister for none)."""
    found = voting.property_voter(community_id, normalized(phone) or phone)
    if found is None:
        raise NotOnRegister(community_id)
    return found


def cast(
    voting: PropertyVoting, secret: str, community_id: str, form: VoteForm, now: datetime
) -> dict[str, Any]:
    """The household's ballot, once its number's proof still holds (Unverified if not)."""
    phone = normalized(form.phone) or ""
    if not proven(secret, form.proof, phone, community_id, now):
        raise Unverified(community_id)
    body = {
        "community_id": community_id,
        "phone": phone,
        "household_id": form.household_id,
        "overall": form.overall,
        "aspects": dict(form.aspects),
        "comment": form.comment,
    }
    try:
        return voting.property_ballot(body)
    except ApiError as refused:
        if refused.status == 404:
            raise NotOnRegister(community_id) from None
        if refused.status not in (400, 409):
            raise
        voted_at = _voted_at(voting, community_id, phone, form.household_id)
        raise BallotRefused(refused.code, voted_at, refused.fields) from None


def _voted_at(voting: PropertyVoting, community_id: str, phone: str, household: str) -> str | None:
    """When the household voted this quarter, as the register's answer says."""
    found = voting.property_voter(community_id, phone) or {"households": []}
    return next(
        (h["voted_at"] for h in found["households"] if h["household_id"] == household), None
    )
