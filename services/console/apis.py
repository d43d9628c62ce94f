"""The other services' HTTP APIs, as the console calls them: the only module that speaks
HTTP to them.

The console holds one API key (CONSOLE_API_KEY: `read`, `act`, `tokens` and `sign_in`, of
every community) and acts for the signed-in person with a person token that cases mints for
that key (`POST /v1/person-tokens`): every call carries both, so each service enforces its
own rules and community boundaries on the person, as for any other client. Tokens are kept
in this process's memory only, never stored, and minted again when they near their end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_SECONDS = 5.0
TOKEN_MARGIN_SECONDS = 300  # mint a new token this long before the old one ends
PERSON_HEADER = "X-Lianxin-Person"


class ApiError(Exception):
    """Another service refused or failed a call; `status` and `code` are its answer's."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str = "",
        state: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ):
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.state = state
        self.fields = fields or {}  # a 400's field errors, by the field's name in the body

    def details(self) -> dict[str, str]:
        """What an error page names besides the message: the case's current state."""
        return {"state": self.state} if self.state else {}


class ApiUnavailable(ApiError):
    """The service did not answer: the page says so and asks to try again."""


@dataclass(frozen=True)
class ApiUrls:
    cases: str
    roster: str
    notify: str
    metrics: str


class Services:
    """The console's client of cases, roster, notify and metrics, with its own key."""

    def __init__(self, urls: ApiUrls, key: str, timeout: float = TIMEOUT_SECONDS):
        self.urls = urls
        self._key = key
        self._timeout = timeout
        self._http = requests.Session()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    # -- as the console itself -------------------------------------------------------------

    def send_sign_in_code(self, person_id: str, code: str) -> None:
        """notify sends the code to the person's own SMS number (the console's key alone
        may ask: scope `sign_in`); notify keeps the message masked."""
        self._call("POST", self.urls.notify, "/v1/sign-in-codes", None, json={
            "person_id": person_id, "code": code,
        })  # fmt: skip

    def person_token(self, session_key: str, person_id: str, role: str, community: str) -> str:
        """The person's token for this session, minted by cases when none is at hand."""
        with self._lock:
            held = self._tokens.get(session_key)
        if held is not None and held[1] > time.monotonic():
            return held[0]
        answer = self._call("POST", self.urls.cases, "/v1/person-tokens", None, json={
            "person_id": person_id, "role": role, "communities": [community],
        })  # fmt: skip
        lifetime = max(60, int(answer.get("expires_in", 3600)) - TOKEN_MARGIN_SECONDS)
        with self._lock:
            if len(self._tokens) > 10_000:
                self._tokens.clear()
            self._tokens[session_key] = (answer["token"], time.monotonic() + lifetime)
        return answer["token"]

    def forget(self, session_key: str) -> None:
        with self._lock:
            self._tokens.pop(session_key, None)

    # -- as the person ---------------------------------------------------------------------

    def case(self, token: str, case_id: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", self.urls.cases, f"/v1/cases/{_segment(case_id)}", token)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def cases(self, token: str, **query: Any) -> list[dict[str, Any]]:
        answer = self._call("GET", self.urls.cases, "/v1/cases", token, params=query)
        return answer["cases"]

    def act(
        self,
        token: str,
        case_id: str,
        action: str,
        body: Mapping[str, Any],
        idempotency_key: str | None = None,
    ) -> dict:
        """POST cases' action `action` (its path); with a key, a repeat acts once."""
        path = f"/v1/cases/{_segment(case_id)}/{action}"
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call("POST", self.urls.cases, path, token, json=dict(body), headers=headers)

    def categories(self, token: str) -> list[dict[str, Any]]:
        return self._call("GET", self.urls.cases, "/v1/categories", token)["categories"]

    def on_duty(self, token: str, grid_id: str, team: str) -> list[dict[str, Any]]:
        params = {"grid_id": grid_id, "team": team}
        return self._call("GET", self.urls.roster, "/v1/on-duty", token, params=params)["on_duty"]

    def summary(self, token: str, community: str, since: str, until: str) -> dict[str, Any]:
        params = {"community_id": community, "from": since, "to": until}
        return self._call("GET", self.urls.metrics, "/v1/stats/summary", token, params=params)

    # -- case actions --

    def areas(self, token: str, community_id: str) -> list[dict[str, Any]]:
        """The community's grids, estates, buildings and units as cases knows them (its
        copy of roster's registry, each with its grid): what triage may place a case in."""
        path = f"/v1/areas/{_segment(community_id)}"
        return self._call("GET", self.urls.cases, path, token)["areas"]

    # -- the wire --------------------------------------------------------------------------

    def _call(
        self, method: str, base: str, path: str, token: str | None, **kwargs: Any
    ) -> dict[str, Any]:
        if not self._key:
            raise ApiUnavailable(503, "unavailable", "The console has no API key.")
        headers = {"X-Api-Key": self._key, **kwargs.pop("headers", {})}
        if token is not None:
            headers[PERSON_HEADER] = token
        try:
            answer = self._http.request(
                method, base + path, headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ApiUnavailable(503, "unavailable", type(exc).__name__) from None
        if answer.status_code >= 400:
            raise _error(answer)
        return answer.json()


def _error(answer: requests.Response) -> ApiError:
    try:
        error = answer.json().get("error", {})
    except ValueError:
        error = {}
    kind = ApiUnavailable if answer.status_code >= 500 else ApiError
    return kind(
        answer.status_code,
        str(error.get("code", "error")),
        str(error.get("message", "")),
        error.get("state"),
        error.get("fields") if isinstance(error.get("fields"), dict) else None,
    )


def _segment(text: str) -> str:
    return requests.utils.quote(text, safe="")
