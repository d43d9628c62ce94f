"""A household's side of the residents' pact, from the resident page (`/r/pact/<community>`):
the resident proves a number by SMS code (the scan-to-report page's codes and limits,
app/residents_report.py), and estate's register says which households that number is on;
they see those households' observations and answer within the window. The proven number
rides in an HttpOnly cookie of the page's path (`lx_pact`: the number and the proof,
good for VERIFIED_FOR), never in an address. Every call goes through the residents'
client (the console's second key): estate answers for the number alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.console.apis import ApiError
from services.console.app.residents_report import ResidentsClient
from services.console.domain.phones import normalized
from services.console.domain.residents_report import proven

PROOF_SEPARATOR = "~"


class NotProven(Exception):
    """No number proven for this community (no cookie, or its proof ran out)."""


class AnswerRefused(Exception):
    """Estate refused the answer with a code the page says in its words."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


REFUSALS = ("window_closed", "already_answered", "not_found")


def proven_cookie(phone: str, proof: str) -> str:
    return f"{phone}{PROOF_SEPARATOR}{proof}"


def proven_phone(secret: str, cookie: str | None, community_id: str, now: datetime) -> str:
    """The number the cookie proves for the community, still; NotProven otherwise."""
    phone, _, given = (cookie or "").partition(PROOF_SEPARATOR)
    number = normalized(phone) or ""
    if not number or not proven(secret, given, number, community_id, now):
        raise NotProven(community_id)
    return number


def observations(residents: ResidentsClient, community_id: str, phone: str) -> dict[str, Any]:
    """The number's households and their observations (estate answers for the number)."""
    return residents.resident_observations(community_id, phone)


def answer(
    residents: ResidentsClient,
    community_id: str,
    phone: str,
    observation_id: str,
    form: Mapping[str, Any],
) -> dict[str, Any]:
    """The household's answer; AnswerRefused for an answer after the window, a second
    answer, or an observation not about the number's households."""
    body = {"community_id": community_id, "phone": phone, "text": form["text"],
            "surname": form["surname"] if form.get("consent") == "yes" else ""}  # fmt: skip
    try:
        return residents.answer_observation(observation_id, body)
    except ApiError as refused:
        if refused.code in REFUSALS:
            raise AnswerRefused(refused.code) from None
        raise
