"""The other services' HTTP APIs, as the console calls them: the only module that speaks
HTTP to them.

The console holds one API key (CONSOLE_API_KEY: `read`, `act`, `tokens` and `sign_in`, and
`report` on the `door_knocking` channel for a care round's case, of every community) and
acts for the signed-in person with a person token that cases mints for that key
(`POST /v1/person-tokens`): every call carries both, so each service enforces its own
rules and community boundaries on the person, as for any other client. Tokens are kept in
this process's memory only, never stored, and minted again when they near their end.
The residents' public pages act with a second key of the console's alone
(CONSOLE_RESIDENTS_KEY: `report` and `verify`, channel `scan`), through a client of their
own (compose.Parts.residents); the staff's key never serves a public page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

TIMEOUT_SECONDS = 5.0
# roster stores a person in about 16 ms on FerretDB (2,000 in 33 s): a 60 KiB file is ~450
IMPORT_TIMEOUT_SECONDS = 60.0
UPLOAD_TIMEOUT_SECONDS = 30.0  # nine photos of 10 MB, each decoded and re-encoded by cases
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
        fields: Mapping[str, list[str]] | None = None,
    ):
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.state = state
        self.fields = dict(fields or {})  # a 400's field errors, for the form to show

    def details(self) -> dict[str, str]:
        """What an error page names besides the message: the case's current state."""
        return {"state": self.state} if self.state else {}


class ApiUnavailable(ApiError):
    """The service did not answer: the page says so and asks to try again."""


@dataclass(frozen=True)
class Download:
    """A file another service made: its bytes and its Content-Disposition."""

    content: bytes
    disposition: str


@dataclass(frozen=True)
class ApiUrls:
    cases: str
    roster: str
    notify: str
    metrics: str
    estate: str = "http://127.0.0.1:8006"


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

    # -- photos --

    def photo(self, token: str, photo_id: str, thumbnail: bool) -> tuple[bytes, str] | None:
        """A photo as cases serves it to the person (its bytes and type); None when cases
        says there is none for them."""
        path = f"/v1/photos/{_segment(photo_id)}" + ("/thumbnail" if thumbnail else "")
        return self._image(path, token)

    # -- people and imports --

    def people(self, token: str, community: str, **query: Any) -> dict[str, Any]:
        """A page of the community's people (masked: the console's key is no admin)."""
        params = {"community_id": community, **{k: v for k, v in query.items() if v}}
        return self._call("GET", self.urls.roster, "/v1/people", token, params=params)

    def person(self, token: str, person_id: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", self.urls.roster, f"/v1/people/{_segment(person_id)}", token)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def areas(
        self, token: str, community: str, kind: str | None = None, pages: int = 50
    ) -> list[dict[str, Any]]:
        """The community's areas (of one kind), every page of roster's registry (200 a page)."""
        found: list[dict[str, Any]] = []
        params = {"community_id": community, **({"kind": kind} if kind else {})}
        for _ in range(pages):
            answer = self._call("GET", self.urls.roster, "/v1/areas", token, params=params)
            found.extend(answer["areas"])
            if not answer.get("next_after"):
                break
            params = {**params, "after": answer["next_after"]}
        return found

    def import_file(self, token: str, name: str, text: str, dry_run: bool) -> dict[str, Any]:
        """Roster reads the file as its CLI does and checks every row; it stores them only
        when this is no dry run and no row is rejected, and only within the person's
        community (a staff member's token: docs/access.md)."""
        params = {"dry_run": "true" if dry_run else "false"}
        return self._call("POST", self.urls.roster, "/v1/imports/file", token, params=params,
                          json={"name": name, "text": text},
                          timeout=IMPORT_TIMEOUT_SECONDS)  # fmt: skip

    # -- rota and hours --
    # Roster's duty and ledger APIs as the person: roster checks their role (leave and
    # covers: staff or grid leader; decisions and corrections: staff) and community.

    def rota_week(self, token: str, grid_id: str, team: str | None, week: str) -> dict[str, Any]:
        params = {"grid_id": grid_id, "week": week, **({"team": team} if team else {})}
        return self._call("GET", self.urls.roster, "/v1/rota-week", token, params=params)

    def rota_grids(self, token: str, community: str) -> list[dict[str, Any]]:
        """The community's grids, for staff to choose a rota week from."""
        params = {"community_id": community, "kind": "grid"}
        return self._call("GET", self.urls.roster, "/v1/areas", token, params=params)["areas"]

    def add_leave(self, token: str, person_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        path = f"/v1/people/{_segment(person_id)}/leave"
        return self._call("POST", self.urls.roster, path, token, json=dict(body))

    def remove_leave(self, token: str, person_id: str, leave_id: str) -> None:
        path = f"/v1/people/{_segment(person_id)}/leave/{_segment(leave_id)}"
        self._send("DELETE", self.urls.roster, path, token)

    def add_override(self, token: str, rota_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        path = f"/v1/rotas/{_segment(rota_id)}/overrides"
        return self._call("POST", self.urls.roster, path, token, json=dict(body))

    def remove_override(self, token: str, rota_id: str, override_id: str) -> None:
        path = f"/v1/rotas/{_segment(rota_id)}/overrides/{_segment(override_id)}"
        self._send("DELETE", self.urls.roster, path, token)

    def waiting_hours(
        self, token: str, community: str, after: str | None, limit: int
    ) -> dict[str, Any]:
        params = {"community_id": community, "limit": limit, **({"after": after} if after else {})}
        return self._call("GET", self.urls.roster, "/v1/hours/waiting", token, params=params)

    def decide_hours(
        self, token: str, entry_id: str, decision: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/hours/{_segment(entry_id)}/{decision}"
        return self._call("POST", self.urls.roster, path, token, json=dict(body))

    def person_hours(self, token: str, person_id: str) -> dict[str, Any]:
        path = f"/v1/people/{_segment(person_id)}/hours"
        return self._call("GET", self.urls.roster, path, token)

    def ledger_person(self, token: str, person_id: str) -> dict[str, Any]:
        """Whose ledger it is (roster's person, name masked)."""
        return self._call("GET", self.urls.roster, f"/v1/people/{_segment(person_id)}", token)

    def household_hours(self, token: str, community: str, household_id: str) -> dict[str, Any]:
        path = f"/v1/households/{_segment(household_id)}/hours"
        params = {"community_id": community}
        return self._call("GET", self.urls.roster, path, token, params=params)

    def correct_hours(
        self, token: str, person_id: str, body: Mapping[str, Any], request_key: str
    ) -> dict[str, Any]:
        """A correction named by its form's Idempotency-Key: a second submit of one form
        makes no second entry."""
        path = f"/v1/people/{_segment(person_id)}/hours/corrections"
        headers = {"Idempotency-Key": request_key}
        return self._call("POST", self.urls.roster, path, token, json=dict(body), headers=headers)

    def hours_csv(self, token: str, community: str, by: str) -> tuple[bytes, str]:
        """Roster's CSV as it wrote it (formula-like text already quoted), and its
        Content-Disposition."""
        params = {"community_id": community, "by": by}
        answer = self._send("GET", self.urls.roster, "/v1/hours/export", token, params=params)
        return answer.content, answer.headers.get("Content-Disposition", "attachment")

    # -- statistics --

    def stats(self, token: str, report: str, query: Mapping[str, Any]) -> dict[str, Any]:
        """One of metrics' reports (`summary`, `trend`, `hotline`, `evaluation`) as the
        person: metrics judges the person's community, as for any client."""
        return self._call("GET", self.urls.metrics, f"/v1/stats/{report}", token,
                          params=dict(query))  # fmt: skip

    def stats_csv(self, token: str, report: str, query: Mapping[str, Any]) -> Download:
        """The report's CSV twin, as metrics made it (its bytes and its file name)."""
        answer = self._send("GET", self.urls.metrics, f"/v1/stats/{report}.csv", token,
                            params=dict(query))  # fmt: skip
        return Download(answer.content, answer.headers.get("Content-Disposition", ""))

    # -- case actions --

    def triage_places(self, token: str, community_id: str) -> list[dict[str, Any]]:
        """The community's grids, estates, buildings and units as cases knows them (its
        copy of roster's registry, each with its grid): what triage may place a case in."""
        path = f"/v1/areas/{_segment(community_id)}"
        return self._call("GET", self.urls.cases, path, token)["areas"]

    # -- a volunteer's duty and hours --
    # As the person, for themselves: roster signs in and out whoever the token names, and
    # gives a feed URL only to its owner (or staff and grid leaders).

    def duty(self, token: str, action: str, rota_id: str) -> dict[str, Any]:
        """Sign in or out (`action`: check-in, check-out) of one of the person's rotas."""
        path = f"/v1/duty/{_segment(action)}"
        return self._call("POST", self.urls.roster, path, token, json={"rota_id": rota_id})

    def duty_week(self, token: str, person_id: str, monday: date | None) -> dict[str, Any]:
        """The person's week of duty across every rota they are on (its Monday; None: this
        week in the community's zone)."""
        path = f"/v1/people/{_segment(person_id)}/duty-week"
        params = {"week": monday.isoformat()} if monday else None
        return self._call("GET", self.urls.roster, path, token, params=params)

    def rota_feed(self, token: str, person_id: str, reset: bool = False) -> str:
        """The URL of the person's iCalendar feed; with `reset`, a new one (older URLs stop
        working)."""
        path = f"/v1/people/{_segment(person_id)}/rota-feed" + ("/reset" if reset else "")
        return self._call("POST" if reset else "GET", self.urls.roster, path, token)["url"]

    def rota_calendar(self, person_id: str, feed_token: str) -> bytes | None:
        """The person's iCalendar feed as roster serves it to whoever holds the feed URL's
        token; None when roster does not take the token (wrong, or reset since)."""
        path = f"/v1/people/{_segment(person_id)}/rota.ics"
        try:
            answer = self._send("GET", self.urls.roster, path, None, params={"token": feed_token})
        except ApiError as exc:
            if exc.status in (400, 401, 404):
                return None
            raise
        return answer.content

    # -- resident progress --
    # A resident's progress page (/r/<token>): cases' public routes, whose token (the link
    # of a progress message) is the only credential. The console's key rides along as on
    # every call; cases judges the token alone.

    def progress(self, progress_token: str) -> dict[str, Any] | None:
        """The case as its resident sees it; None when cases knows no such link."""
        try:
            return self._call("GET", self.urls.cases, _progress_path(progress_token), None)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def rate_progress(
        self, progress_token: str, body: Mapping[str, Any], form_key: str
    ) -> dict[str, Any]:
        """The reporter's rating; the form's key makes a second submit of it rate once."""
        path = _progress_path(progress_token) + "/rating"
        headers = {"Idempotency-Key": form_key}
        return self._call("POST", self.urls.cases, path, None, json=dict(body), headers=headers)

    def progress_photo(
        self, progress_token: str, photo_id: str, thumbnail: bool
    ) -> tuple[bytes, str] | None:
        """A photo the resident's page shows, as cases serves it; None if it shows none."""
        path = f"{_progress_path(progress_token)}/photos/{_segment(photo_id)}"
        return self._image(path + ("/thumbnail" if thumbnail else ""), None)

    # -- scan to report --
    # Called on the residents' client (Parts.residents: CONSOLE_RESIDENTS_KEY, scopes
    # `report` and `verify` on channel `scan`, every community), never on the staff's: a
    # public page holds no more than reporting needs. No person token: residents have no
    # account. The categories are `categories(None)`, as the staff's pages read them; the
    # staff's poster page reads `community_places` with the person's token.

    def community_places(self, token: str | None, community_id: str) -> dict[str, Any] | None:
        """The community's name, zone and areas (cases' copy of roster's registry); None
        for a community cases does not know (or the staff's poster page, with the person's
        token, may not read)."""
        path = f"/v1/areas/{_segment(community_id)}"
        try:
            return self._call("GET", self.urls.cases, path, token)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def send_verification_code(self, community_id: str, phone: str, code: str) -> None:
        """notify texts the code to the number (at most five an hour to one number: 429)."""
        self._call("POST", self.urls.notify, "/v1/verification-codes", None, json={
            "community_id": community_id, "phone": phone, "code": code,
        })  # fmt: skip

    def report_case(self, body: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
        """cases' intake: the same key answers the case it made the first time."""
        headers = {"Idempotency-Key": idempotency_key}
        return self._call("POST", self.urls.cases, "/v1/cases", None, json=dict(body),
                          headers=headers)  # fmt: skip

    # -- the volunteer's cases --
    # A person's own offers and cases, read with their token (roster and cases judge
    # it), and the photos they upload for a step.

    def person_offers(self, token: str, person_id: str) -> list[dict[str, Any]]:
        """Roster's latest offers to the person (open, accepted, declined, lapsed)."""
        path = f"/v1/people/{_segment(person_id)}/offers"
        return self._call("GET", self.urls.roster, path, token)["offers"]

    def person_open_cases(self, token: str, person_id: str) -> list[str]:
        """The ids of the cases roster counts as the person's (offered by hand or taken)."""
        path = f"/v1/people/{_segment(person_id)}/cases"
        return self._call("GET", self.urls.roster, path, token)["open_cases"]

    def upload_photos(
        self, token: str | None, community: str, tag: str, contents: list[bytes]
    ) -> list[dict[str, Any]]:
        """Cases keeps each photo without its metadata (checked, with a thumbnail), loose
        until a report or step names it (`photo:<id>`): only this key — and this person,
        with a token — may name it. A resident's report uploads with no token."""
        files = [("photo", (f"photo-{n}", content)) for n, content in enumerate(contents, 1)]
        return self._call("POST", self.urls.cases, "/v1/photos", token,
                          data={"community_id": community, "tag": tag}, files=files,
                          timeout=UPLOAD_TIMEOUT_SECONDS)["photos"]  # fmt: skip

    # -- activities --
    # Roster's volunteer activities as the person: roster lets staff publish, and signs up,
    # withdraws or checks in whoever the token names (never anyone else).

    def activities(self, token: str, community: str, upcoming: bool) -> list[dict[str, Any]]:
        params = {"community_id": community, "upcoming": "true" if upcoming else "false"}
        return self._call("GET", self.urls.roster, "/v1/activities", token,
                          params=params)["activities"]  # fmt: skip

    def activity(self, token: str, activity_id: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", self.urls.roster, f"/v1/activities/{_segment(activity_id)}",
                              token)  # fmt: skip
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def publish_activity(
        self, token: str, body: Mapping[str, Any], request_key: str
    ) -> dict[str, Any]:
        """An activity named by its form's Idempotency-Key: a second submit publishes none."""
        headers = {"Idempotency-Key": request_key}
        return self._call("POST", self.urls.roster, "/v1/activities", token, json=dict(body),
                          headers=headers)  # fmt: skip

    def on_activity(self, token: str, activity_id: str, action: str) -> dict[str, Any]:
        """`action` (signup, withdraw, check-in) for the token's own person."""
        path = f"/v1/activities/{_segment(activity_id)}/{_segment(action)}"
        return self._call("POST", self.urls.roster, path, token)
    # -- care rounds --
    # Roster's care register (邻里守望) as the person: roster shows a plan only to staff, the
    # grid's workers and leaders and its carer, masked, and lets only the carer tick its
    # rounds. A round that needs help opens a case with the console's key (`report`, channel
    # `door_knocking`) and the carer's token, named by the round: sent again, the same case.

    def care_register(self, token: str, community: str) -> list[dict[str, Any]]:
        params = {"community_id": community}
        return self._call("GET", self.urls.roster, "/v1/care/plans", token, params=params)["plans"]

    def register_care_plan(
        self, token: str, body: Mapping[str, Any], form_key: str
    ) -> dict[str, Any]:
        """A plan named by its form's key: the same form sent twice makes one plan."""
        headers = {"Idempotency-Key": form_key}
        return self._call("POST", self.urls.roster, "/v1/care/plans", token, json=dict(body),
                          headers=headers)  # fmt: skip

    def end_care_plan(self, token: str, plan_id: str) -> dict[str, Any]:
        path = f"/v1/care/plans/{_segment(plan_id)}/end"
        return self._call("POST", self.urls.roster, path, token, json={})

    def carer_rounds(self, token: str, person_id: str) -> list[dict[str, Any]]:
        """The person's plans in effect, each with its open rounds."""
        path = f"/v1/people/{_segment(person_id)}/care-rounds"
        return self._call("GET", self.urls.roster, path, token)["plans"]

    def tick_round(
        self, token: str, plan_id: str, day: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/care/plans/{_segment(plan_id)}/rounds/{_segment(day)}/tick"
        return self._call("POST", self.urls.roster, path, token, json=dict(body))

    def report_for_round(
        self, token: str, body: Mapping[str, Any], round_id: str
    ) -> dict[str, Any]:
        """The case a round that needs help opens (cases' intake, as the carer)."""
        headers = {"Idempotency-Key": f"care:{round_id}"}
        return self._call("POST", self.urls.cases, "/v1/cases", token, json=dict(body),
                          headers=headers)  # fmt: skip

    # -- notices --
    # notify's notices as the person (staff send to their community, grid workers and grid
    # leaders to their own grids: notify judges it), and the public reading page's two
    # calls, whose token (the link of the notice's SMS) names the notice and its recipient.

    def notice_audience(self, token: str, community: str, kind: str, code: str) -> dict[str, Any]:
        """Whom a notice to the area would reach, per channel; nothing is sent."""
        params = {"community_id": community, "audience": kind, "code": code}
        return self._call("GET", self.urls.notify, "/v1/notices/audience", token, params=params)

    def send_notice(self, token: str, body: Mapping[str, Any], idempotency_key: str) -> dict:
        """The notice, stored once per key; notify fans it out after answering."""
        headers = {"Idempotency-Key": idempotency_key}
        return self._call("POST", self.urls.notify, "/v1/notices", token, json=dict(body),
                          headers=headers)  # fmt: skip

    def notices(self, token: str, community: str) -> list[dict[str, Any]]:
        params = {"community_id": community, "limit": 50}
        return self._call("GET", self.urls.notify, "/v1/notices", token, params=params)["notices"]

    def notice(self, token: str, notice_id: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", self.urls.notify, f"/v1/notices/{_segment(notice_id)}", token)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def notice_receipt(self, reading_token: str) -> dict[str, Any] | None:
        """The notice a reading link names (None: no such link); counts nothing."""
        try:
            return self._call("GET", self.urls.notify, _receipt_path(reading_token), None)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def read_notice(self, reading_token: str) -> dict[str, Any]:
        """The recipient read it: notify records it once."""
        return self._call("POST", self.urls.notify, _receipt_path(reading_token), None)

    # -- estate: the household register and the estate fund --
    def fund_settings(self, token: str, community_id: str) -> dict[str, Any]:
        path = f"/v1/fund/settings/{_segment(community_id)}"
        return self._call("GET", self.urls.estate, path, token)

    def set_fund_year(
        self, token: str, community_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/fund/settings/{_segment(community_id)}"
        return self._call("PUT", self.urls.estate, path, token, json=dict(body))

    def fund_statements(
        self, token: str, community_id: str, year: int, after: str | None
    ) -> dict[str, Any]:
        params = {"community_id": community_id, "year": year, **({"after": after} if after else {})}
        return self._call("GET", self.urls.estate, "/v1/fund/statements", token, params=params)

    def fund_statement(
        self, token: str, community_id: str, household_id: str, year: int
    ) -> dict[str, Any]:
        path = f"/v1/fund/statements/{_segment(community_id)}/{_segment(household_id)}"
        return self._call("GET", self.urls.estate, path, token, params={"year": year})

    def fund_csv(self, token: str, community_id: str, year: int) -> Download:
        """Estate's CSV of the year's statements, as it wrote it (formula-like text quoted)."""
        params = {"community_id": community_id, "year": year}
        answer = self._send("GET", self.urls.estate, "/v1/fund/statements.csv", token,
                            params=params, timeout=IMPORT_TIMEOUT_SECONDS)  # fmt: skip
        return Download(answer.content, answer.headers.get("Content-Disposition", ""))

    def record_fund_payment(
        self, token: str, body: Mapping[str, Any], request_key: str
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": request_key}
        return self._call("POST", self.urls.estate, "/v1/fund/payments", token,
                          json=dict(body), headers=headers)  # fmt: skip

    def reverse_fund_payment(self, token: str, payment_id: str, reason: str) -> dict[str, Any]:
        path = f"/v1/fund/payments/{_segment(payment_id)}/reverse"
        return self._call("POST", self.urls.estate, path, token, json={"reason": reason})

    def decide_fund_eligibility(
        self, token: str, community_id: str, household_id: str, year: int, approve: bool,
        reason: str,
    ) -> dict[str, Any]:  # fmt: skip
        decision = "approve" if approve else "revoke"
        path = f"/v1/fund/eligibility/{_segment(community_id)}/{_segment(household_id)}/{decision}"
        return self._call("POST", self.urls.estate, path, token,
                          json={"year": year, "reason": reason})  # fmt: skip

    def resident_fund_statements(self, community_id: str, phone: str) -> dict[str, Any]:
        """A proven number's households' statements (the residents' key, scope resident)."""
        body = {"community_id": community_id, "phone": phone}
        return self._call("POST", self.urls.estate, "/v1/fund/resident-statements", None,
                          json=body)  # fmt: skip

    # -- property evaluation --
    # The estate service's evaluation of the property company (物业考评): staff read and
    # act with their token (estate judges the role and community); the residents' page
    # finds a proven number's households and casts their ballot with the residents' key
    # (scope `resident`) and no token.

    def property_estates(self, token: str, community: str) -> dict[str, Any]:
        params = {"community_id": community}
        return self._call("GET", self.urls.estate, "/v1/property/estates", token, params=params)

    def property_estate(self, token: str, community: str, estate_id: str) -> dict[str, Any]:
        path = f"/v1/property/estates/{_segment(estate_id)}"
        return self._call("GET", self.urls.estate, path, token,
                          params={"community_id": community})  # fmt: skip

    def property_company(
        self, token: str, community: str, estate_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/property/estates/{_segment(estate_id)}/company"
        return self._call("PUT", self.urls.estate, path, token,
                          json={**body, "community_id": community})  # fmt: skip

    def property_offline(
        self, token: str, community: str, estate_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """This quarter's paper ballots: entered once (a second entry is 409)."""
        path = f"/v1/property/estates/{_segment(estate_id)}/offline"
        return self._call("POST", self.urls.estate, path, token,
                          json={**body, "community_id": community})  # fmt: skip

    def property_correction(
        self, token: str, community: str, estate_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/property/estates/{_segment(estate_id)}/offline/corrections"
        return self._call("POST", self.urls.estate, path, token,
                          json={**body, "community_id": community})  # fmt: skip

    def property_close(
        self, token: str, community: str, estate_id: str, quarter: str
    ) -> dict[str, Any]:
        """Close the quarter (a second close is 409 quarter_closed)."""
        path = f"/v1/property/estates/{_segment(estate_id)}/quarters/{_segment(quarter)}/close"
        return self._call("POST", self.urls.estate, path, token,
                          json={"community_id": community})  # fmt: skip

    def property_action(
        self, token: str, community: str, estate_id: str, quarter: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/property/estates/{_segment(estate_id)}/quarters/{_segment(quarter)}/actions"
        return self._call("POST", self.urls.estate, path, token,
                          json={**body, "community_id": community})  # fmt: skip

    def property_thresholds(
        self, token: str, community: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._call("PUT", self.urls.estate, "/v1/property/thresholds", token,
                          json={**body, "community_id": community})  # fmt: skip

    def property_voter(self, community: str, phone: str) -> dict[str, Any] | None:
        """The households of a proven number (residents' key); None when it is on none."""
        try:
            return self._call("POST", self.urls.estate, "/v1/property/voters", None,
                              json={"community_id": community, "phone": phone})  # fmt: skip
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def property_ballot(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A household's ballot (residents' key): 409 already_voted or quarter_closed."""
        return self._call("POST", self.urls.estate, "/v1/property/ballots", None,
                          json=dict(body))  # fmt: skip

    # -- pact --
    # The estate's residents' pact (居民公约红黑榜). Staff and unit leaders with their token:
    # estate judges the role, the community and a unit leader's units. The resident page's
    # calls go on the residents' client with no token: that key speaks for the number the
    # page proved by SMS code, and estate finds that number's households in its register.

    def pacts(self, token: str, community_id: str) -> list[dict[str, Any]]:
        params = {"community_id": community_id}
        return self._call("GET", self.urls.estate, "/v1/pacts", token, params=params)["estates"]

    def edit_article(
        self, token: str, community_id: str, estate_id: str, number: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/pacts/{_segment(community_id)}/{_segment(estate_id)}/articles/{number}"
        return self._call("POST", self.urls.estate, path, token, json=dict(body))

    def upload_pact_photos(
        self, token: str, community_id: str, contents: list[bytes]
    ) -> list[dict[str, Any]]:
        """Estate keeps each photo clean (lianxin.photos), loose until an observation of
        the same key and person names it."""
        files = [("photo", (f"photo-{n}", content)) for n, content in enumerate(contents, 1)]
        return self._call("POST", self.urls.estate, "/v1/pact/photos", token,
                          data={"community_id": community_id}, files=files,
                          timeout=UPLOAD_TIMEOUT_SECONDS)["photos"]  # fmt: skip

    def pact_photo(self, token: str, photo_id: str, variant: str) -> tuple[bytes, str] | None:
        path = f"/v1/pact/photos/{_segment(photo_id)}/{_segment(variant)}"
        return self._estate_image("GET", path, token)

    def record_observation(
        self, token: str, body: Mapping[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key}
        return self._call("POST", self.urls.estate, "/v1/pact/observations", token,
                          json=dict(body), headers=headers)  # fmt: skip

    def pact_observations(self, token: str, community_id: str, quarter: str) -> dict[str, Any]:
        params = {"community_id": community_id, "quarter": quarter}
        return self._call("GET", self.urls.estate, "/v1/pact/observations", token, params=params)

    def decide_observation(
        self, token: str, observation_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/v1/pact/observations/{_segment(observation_id)}/decision"
        return self._call("POST", self.urls.estate, path, token, json=dict(body))

    def pact_preview(self, token: str, community_id: str, quarter: str) -> dict[str, Any]:
        params = {"community_id": community_id, "quarter": quarter}
        return self._call("GET", self.urls.estate, "/v1/pact/lists/preview", token, params=params)

    def publish_pact_list(self, token: str, community_id: str, quarter: str) -> dict[str, Any]:
        body = {"community_id": community_id, "quarter": quarter, "confirm": True}
        return self._call("POST", self.urls.estate, "/v1/pact/lists", token, json=body)

    def pact_list(self, community_id: str, quarter: str) -> dict[str, Any] | None:
        """A published list (public: it shows nothing personal); None before it is."""
        path = f"/v1/pact/lists/{_segment(community_id)}/{_segment(quarter)}"
        try:
            return self._call("GET", self.urls.estate, path, None)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def resident_observations(self, community_id: str, phone: str) -> dict[str, Any]:
        body = {"community_id": community_id, "phone": phone}
        return self._call("POST", self.urls.estate, "/v1/pact/resident/observations", None,
                          json=body)  # fmt: skip

    def answer_observation(self, observation_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        path = f"/v1/pact/resident/observations/{_segment(observation_id)}/answer"
        return self._call("POST", self.urls.estate, path, None, json=dict(body))

    def resident_pact_photo(
        self, community_id: str, phone: str, photo_id: str, variant: str
    ) -> tuple[bytes, str] | None:
        path = f"/v1/pact/resident/photos/{_segment(photo_id)}"
        body = {"community_id": community_id, "phone": phone, "variant": variant}
        return self._estate_image("POST", path, None, json=body)

    def _estate_image(
        self, method: str, path: str, token: str | None, **kwargs: Any
    ) -> tuple[bytes, str] | None:
        """A photo estate serves (its bytes and type), or None where it says there is none."""
        try:
            answer = self._send(method, self.urls.estate, path, token, **kwargs)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return answer.content, answer.headers.get("Content-Type", "application/octet-stream")

    # -- the wire --------------------------------------------------------------------------

    def _call(
        self, method: str, base: str, path: str, token: str | None, **kwargs: Any
    ) -> dict[str, Any]:
        return self._send(method, base, path, token, **kwargs).json()

    def _image(self, path: str, token: str | None) -> tuple[bytes, str] | None:
        """A photo cases serves (its bytes and type), or None where it says there is none."""
        try:
            answer = self._send("GET", self.urls.cases, path, token)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return answer.content, answer.headers.get("Content-Type", "application/octet-stream")

    def _send(
        self,
        method: str,
        base: str,
        path: str,
        token: str | None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """The answer of a call made with the console's key (and the person's token), or
        the ApiError it was."""
        if not self._key:
            raise ApiUnavailable(503, "unavailable", "The console has no API key.")
        sent = {**(headers or {}), "X-Api-Key": self._key}
        if token is not None:
            sent[PERSON_HEADER] = token
        timeout = kwargs.pop("timeout", self._timeout)  # a call may wait longer (an import)
        try:
            answer = self._http.request(
                method, base + path, headers=sent, timeout=timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ApiUnavailable(503, "unavailable", type(exc).__name__) from None
        if answer.status_code >= 400:
            raise _error(answer)
        return answer


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


def _progress_path(progress_token: str) -> str:
    return f"/v1/progress/{_segment(progress_token)}"


def _receipt_path(reading_token: str) -> str:
    return f"/v1/notice-receipts/{_segment(reading_token)}"


def _segment(text: str) -> str:
    return requests.utils.quote(text, safe="")
