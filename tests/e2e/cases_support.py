"""What the cases e2e tests share: people acting through keys and person tokens, a case
brought to the point a test needs, events put on the bus as roster would, and probes
that read what cases publishes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from kombu import Connection, Exchange, Queue, binding

from tests.e2e.conftest import (
    community,
    ensure_community,
    ensure_people,
    get_case,
    person_changed,
    publish_events,
    report_body,
    wait_until,
)

HOTLINE = "changsha-12345"
DESK_TEAM = "mediation_desk"  # keeps hours (lianxin/contracts/calendars.yaml)
CREW = {
    "staff-1": ("staff",),
    "leader-1": ("grid_leader",),
    "gw-1": ("grid_worker",),
    **{f"repair-{n}": ("volunteer",) for n in range(1, 8)},
}


@dataclass
class People:
    """Keys and tokens for the people of one community: staff, volunteers, a reporter.
    Its people are in the roster as roster publishes them (`person.changed`), with ids
    of the community's own (`<community>-repair-1`): a person belongs to one community."""

    stack: Any
    keys: Any
    place: str

    def __post_init__(self):
        ensure_people(
            self.stack,
            self.keys.db,
            [person_changed(self.id(name), self.place, roles) for name, roles in CREW.items()],
        )
        self.app_key = self.keys.issue(["act", "read"], [self.place], name="volunteer-app")
        self.hotline_key = self.keys.issue(
            ["report", "read"],
            [self.place],
            name="hotline",
            hotline_id=HOTLINE,
            channels=["hotline", "app"],
        )
        self.staff_id = self.id("staff-1")
        self.staff_key = self.keys.issue(
            ["act", "read"], [self.place], person_id=self.staff_id, role="staff", name="staff-1"
        )
        self._tokens: dict[str, str] = {}

    def id(self, name: str) -> str:
        """The id of one of the crew (CREW), in this community."""
        return f"{self.place}-{name}"

    def volunteer(self, person_id: str) -> dict[str, str]:
        """What a volunteer's app sends: its key and the volunteer's person token."""
        if person_id not in self._tokens:
            self._tokens[person_id] = self.keys.person_token(person_id, "volunteer", [self.place])
        return {"X-Api-Key": self.app_key, "X-Lianxin-Person": self._tokens[person_id]}

    @property
    def staff(self) -> dict[str, str]:
        return {"X-Api-Key": self.staff_key}

    @property
    def hotline(self) -> dict[str, str]:
        return {"X-Api-Key": self.hotline_key}

    def post(self, case_id: str, action: str, headers: dict, body: dict | None = None):
        return requests.post(
            f"{self.stack.url('cases')}/v1/cases/{case_id}/{action}",
            json=body or {},
            headers=headers,
            timeout=30,
        )

    def report(self, **overrides: Any) -> dict:
        ensure_community(self.stack, self.place)
        answer = requests.post(
            f"{self.stack.url('cases')}/v1/cases",
            json=report_body(self.place, **overrides),
            headers=self.hotline,
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    def settled(self, case_id: str) -> dict:
        """The case once roster has answered its triage: dispatched to the volunteer on
        duty, or escalated when nobody is."""
        return wait_until(
            f"roster to answer the triage of {case_id}",
            lambda: (
                (case := get_case(self.stack, case_id))["state"] in ("dispatched", "escalated")
                and case
            ),
        )

    def taken(self, case_id: str) -> tuple[dict, dict[str, str]]:
        """The case dispatched to someone, and that person's credentials: roster's offer,
        or staff's assignment when roster escalated it. A desk's case (a dispute) waits
        for the desk's next session, days away: staff assign it at once."""
        case = get_case(self.stack, case_id)
        if case["team"] != DESK_TEAM:
            case = self.settled(case_id)
        if case["state"] == "escalated" or case["team"] == DESK_TEAM:
            answer = self.post(
                case_id,
                "assign",
                self.staff,
                {"person_id": self.id("repair-1"), "display_name": "石师傅"},
            )
            assert answer.status_code == 200, answer.text
            case = answer.json()
        return case, self.volunteer(case["assignee"])

    def accepted(self, **overrides: Any) -> tuple[dict, dict[str, str]]:
        case, volunteer = self.taken(self.report(**overrides)["id"])
        answer = self.post(case["id"], "accept", volunteer)
        assert answer.status_code == 200, answer.text
        return answer.json(), volunteer

    def resolved(self, **overrides: Any) -> tuple[dict, dict[str, str]]:
        case, volunteer = self.accepted(**overrides)
        answer = self.post(case["id"], "resolve", volunteer, {"resolution": "换了灯泡"})
        assert answer.status_code == 200, answer.text
        return answer.json(), volunteer


def people(stack, keys, prefix: str = "c") -> People:
    return People(stack, keys, community(prefix))


def envelope(type_: str, payload: dict, case_id: str | None = None) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": "e2e-cases",
        "case_id": case_id,
        "payload": payload,
    }


def offer(case_id: str, person_id: str, attempt: int = 1) -> dict:
    """`offer.made` as roster publishes it."""
    return envelope(
        "offer.made",
        {
            "case_id": case_id,
            "offer_id": f"OF-{uuid.uuid4().hex[:12].upper()}",
            "person_id": person_id,
            "display_name": "莫**",
            "team": "repair_crew",
            "grid_id": "jingxiang-g1",
            "expires_at": datetime.now(UTC).isoformat(),
            "attempt": attempt,
        },
        case_id,
    )


def as_roster(stack, *messages: dict) -> None:
    publish_events(stack, "roster", messages)


class Probe:
    """A queue of our own bound to cases' event exchange: what cases published, read
    without taking anything from the services' own queues."""

    def __init__(self, amqp_uri: str, *patterns: str):
        self.amqp_uri = amqp_uri
        exchange = Exchange("cases.events", type="topic", durable=True)
        self.queue = Queue(
            f"e2e-probe-{uuid.uuid4().hex[:8]}",
            bindings=[binding(exchange, routing_key=pattern) for pattern in patterns],
            durable=True,
            auto_delete=False,
        )
        with Connection(amqp_uri) as connection:
            self.queue(connection.channel()).declare()
        self.seen: list[dict] = []

    def events(self, case_id: str | None = None, type_: str | None = None) -> list[dict]:
        with Connection(self.amqp_uri) as connection:
            bound = self.queue(connection.channel())
            while (message := bound.get(no_ack=True)) is not None:
                body = message.body if isinstance(message.body, dict) else json.loads(message.body)
                self.seen.append(body)
        return [
            event
            for event in self.seen
            if (case_id is None or event.get("case_id") == case_id)
            and (type_ is None or event["type"] == type_)
        ]

    def delete(self) -> None:
        with Connection(self.amqp_uri) as connection:
            self.queue(connection.channel()).delete()
