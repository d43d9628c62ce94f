"""notify's use cases on the in-memory store (tests/backends.py `memory_backend`), with
channels that record what they are given: an event in, deliveries and deadlines out, in
milliseconds. The deadlines the outbox published are what a test fires next, as the
broker would deliver them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lianxin.access.case_pages import CasePageLinks
from lianxin.access.progress_links import ProgressLinks
from lianxin.backoff import BackOff
from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from services.notify.channels.base import Target
from services.notify.channels.registry import Channels
from services.notify.compose import Outbound, load_labels
from services.notify.domain.delivery import Delivery
from services.notify.domain.links import ActionLinks
from services.notify.domain.messages import Message, Messages
from services.notify.domain.notice_links import NoticeLinks
from services.notify.domain.people import RateLimit
from services.notify.domain.routes import CommunityRoutes, Endpoint, GroupRoute, Routes
from services.notify.events import READS
from services.notify.store import NotifyStore
from tests.backends import Backend

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai: nobody's quiet hours
COMMUNITY, GRID = "jx", "jx-g1"
ROUTES = Routes(
    communities={
        COMMUNITY: CommunityRoutes(
            name="井湘社区",
            groups={
                GRID: GroupRoute("wecom", "https://robot.example.cn/send?key=g1"),
                "staff": GroupRoute("webhook", "https://ops.example.cn/hooks"),
            },
        )
    },
    hotlines={"changsha-12345": Endpoint("https://12345.example.cn/cb", "hotline-secret-0123")},
)
MESSAGES = Messages()
TOKEN_SECRET = "token-secret-0123456789abcdef"
WORDS = load_labels()


@dataclass
class Receiver:
    """A channel adapter that keeps what it was given, or fails with `failing`."""

    name: str
    sent: list[tuple[Delivery, Message, Target]] = field(default_factory=list)
    failing: Exception | None = None

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        if self.failing is not None:
            raise self.failing
        self.sent.append((delivery, message, target))
        return "HTTP 200"


@dataclass
class Clock:
    """The use cases' clock, moved on by hand."""

    at: datetime = AT

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def now() -> Clock:
    return Clock()


@pytest.fixture
def store(memory_backend: Backend) -> NotifyStore:
    return NotifyStore(memory_backend.context("notify"))


@pytest.fixture
def receivers() -> dict[str, Receiver]:
    names = ("sms", "email", "webhook", "wecom", "dingtalk", "hotline")
    return {name: Receiver(name) for name in names}


@pytest.fixture
def outbound(receivers: dict[str, Receiver]) -> Outbound:
    return Outbound(
        channels=Channels(receivers, ROUTES, "signing-secret-0123456789", 5.0),
        messages=MESSAGES,
        words=WORDS,
        links=ActionLinks(TOKEN_SECRET, "https://notify.example.cn"),
        progress_links=ProgressLinks(TOKEN_SECRET),
        routes=ROUTES,
        back_off=BackOff(max_attempts=3, base_seconds=60),
        rate_limit=RateLimit(count=2, window=timedelta(minutes=10)),
        link_days=7,
        accept_link_hours=2.0,
        secrets=(),
        console_url="https://console.example.cn",
        case_pages=CasePageLinks("token-secret-0123456789abcdef"),
        notice_links=NoticeLinks("token-secret-0123456789abcdef"),
    )


def deadlines(backend: Backend, kind: str) -> list[Deadline]:
    """The deadlines of `kind` the outbox published, oldest first."""
    return [deadline for deadline in backend.published.deadlines if deadline.kind == kind]


def event(type_: str, payload: dict[str, Any], case_id: str | None = None) -> Envelope:
    """An event as notify reads it off the bus (events.READS)."""
    message = {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "version": 1,
        "occurred_at": AT.isoformat(),
        "correlation_id": "notify-app-test",
        "case_id": case_id,
        "payload": payload,
    }
    return READS.read(message)


def person_changed(
    person_id: str,
    contacts: list[tuple[str, str]],
    roles: tuple[str, ...] = ("volunteer",),
    version: int = 1,
    quiet_hours: str | None = None,
) -> Envelope:
    return event(
        "person.changed",
        {
            "person_id": person_id,
            "community_id": COMMUNITY,
            "display_name": "侯**",
            "roles": list(roles),
            "teams": ["repair_crew"],
            "home_grids": [GRID],
            "contacts": [{"channel": c, "address": a} for c, a in contacts],
            "quiet_hours": quiet_hours,
            "active": True,
            "person_version": version,
        },
    )


def case(case_id: str = "LX-1", **overrides: Any) -> dict[str, Any]:
    """What a case event tells of its case, as far as the messages show it."""
    return {
        "case_id": case_id,
        "community_id": COMMUNITY,
        "grid_id": GRID,
        "number": "NT-20261121-0001",
        "category": "facility.lighting",
        "category_label": {"zh": "楼道灯坏", "en": "broken stair light"},
        "priority": "normal",
        "place": "5栋2单元",
        "description": "5栋2单元楼道灯坏了",
        **overrides,
    }


def case_event(type_: str, case_id: str = "LX-1", **payload: Any) -> Envelope:
    return event(type_, case(case_id, **payload), case_id)


def dispatched(person_id: str, case_id: str = "LX-1", **overrides: Any) -> Envelope:
    return case_event(
        "case.dispatched",
        case_id,
        offer_id="OF-1",
        person_id=person_id,
        display_name="侯**",
        offer_expires_at=(AT + timedelta(minutes=30)).isoformat(),
        accept_by=(AT + timedelta(minutes=30)).isoformat(),
        resolve_by=(AT + timedelta(hours=24)).isoformat(),
        attempt=1,
        **overrides,
    )
