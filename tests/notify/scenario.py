"""A test community for notify's end-to-end tests: its grids and group robots on the HTTP
peer, a hotline, people, places and cases as roster and cases would publish them, and
the secrets a failing run must never show."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Queue

from tests.notify.harness import SIGNING_SECRET, TOKEN_SECRET, envelope, wait_until


class Scenario:
    """One test community with its grids, groups on the HTTP peer, a hotline, and the
    secrets a failing run must never show."""

    def __init__(self, peer, smtp, tmp: Path):
        self.peer, self.smtp = peer, smtp
        self.community = f"nt-{uuid.uuid4().hex[:8]}"
        self.grids = [f"{self.community}-g1", f"{self.community}-g2"]
        self.secrets = {
            "wecom_key": "wecom-" + secrets.token_hex(12),
            "dingtalk_token": "dtok-" + secrets.token_hex(12),
            "dingtalk_secret": "SEC" + secrets.token_hex(24),
            "default_key": "dflt-" + secrets.token_hex(12),
            "staff_token": "stok-" + secrets.token_hex(12),
            "hotline_secret": "hl-" + secrets.token_hex(16),
            "sms_key": "sms-" + secrets.token_hex(16),
            "signing": SIGNING_SECRET,
            "token": TOKEN_SECRET,
        }
        self.routes_file = tmp / "routes.yaml"
        self.routes_file.write_text(
            json.dumps(
                {
                    "communities": {
                        self.community: {
                            "name": "测试社区",
                            "timezone": "Asia/Shanghai",
                            "groups": {
                                self.grids[0]: {
                                    "channel": "wecom",
                                    "url": peer.url(f"/wecom?key={self.secrets['wecom_key']}"),
                                },
                                self.grids[1]: {
                                    "channel": "dingtalk",
                                    "url": peer.url(
                                        f"/dingtalk?access_token={self.secrets['dingtalk_token']}"
                                    ),
                                    "secret": "${NT_DINGTALK_SECRET}",
                                },
                                "staff": {
                                    "channel": "webhook",
                                    "url": peer.url(f"/staff?token={self.secrets['staff_token']}"),
                                },
                            },
                            "robots": {  # a person's own robot, named by id in a contact
                                "r-own": {"channel": "wecom", "url": peer.url("/robot-own?key=k")}
                            },
                        }
                    },
                    "hotlines": {
                        "hl-test": {"url": peer.url("/hotline"), "secret": "${NT_HOTLINE_SECRET}"}
                    },
                },
                ensure_ascii=False,
            )
        )

    def env(self, **overrides: str) -> dict[str, str]:
        return {
            "NOTIFY_ROUTES_FILE": str(self.routes_file),
            "NT_DINGTALK_SECRET": self.secrets["dingtalk_secret"],
            "NT_HOTLINE_SECRET": self.secrets["hotline_secret"],
            "NOTIFY_WEBHOOK_URL": self.peer.url(f"/default?key={self.secrets['default_key']}"),
            "NOTIFY_SMS_URL": self.peer.url("/sms"),
            "NOTIFY_SMS_API_KEY": self.secrets["sms_key"],
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(self.smtp.port),
            "NOTIFY_SMTP_SENDER": "lianxin@test.local",
            "NOTIFY_MAX_ATTEMPTS": "3",
            "NOTIFY_RETRY_BASE_SECONDS": "1",
            "NOTIFY_RETRY_CAP_SECONDS": "2",
            "NOTIFY_RATE_COUNT": "3",
            "NOTIFY_RATE_WINDOW_SECONDS": "6",
            # the peer is the one private address notify may send to
            "NOTIFY_EGRESS_ALLOW": self.peer.address,
            **overrides,
        }

    def person(
        self,
        person_id: str,
        contacts: list[tuple[str, str]],
        version: int = 1,
        roles: tuple[str, ...] = ("volunteer",),
        quiet_hours: str | None = None,
        name: str = "侯**",
    ) -> dict[str, Any]:
        return envelope(
            "person.changed",
            {
                "person_id": person_id,
                "community_id": self.community,
                "display_name": name,
                "roles": list(roles),
                "teams": ["repair_crew"],
                "home_grids": [self.grids[0]],
                "contacts": [{"channel": c, "address": a} for c, a in contacts],
                "quiet_hours": quiet_hours,
                "active": True,
                "person_version": version,
            },
        )

    def places(self) -> list[dict[str, Any]]:
        nodes = [
            {
                "code": self.community,
                "kind": "community",
                "parent": None,
                "community_id": self.community,
                "name": "测试社区",
                "timezone": "Asia/Shanghai",
            },
            {
                "code": self.grids[0],
                "kind": "grid",
                "parent": self.community,
                "community_id": self.community,
                "name": "第一网格（1–16栋）",
            },
            {
                "code": self.grids[1],
                "kind": "grid",
                "parent": self.community,
                "community_id": self.community,
                "name": "第二网格（17–32栋）",
            },
        ]
        return [
            envelope("area.changed", {"node": n, "removed": False, "area_version": 1})
            for n in nodes
        ]

    def case(self, grid: int = 0, **overrides: Any) -> dict[str, Any]:
        case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
        return {
            "case_id": case_id,
            "number": f"NT-20261121-{secrets.randbelow(10000):04d}",
            "community_id": self.community,
            "grid_id": self.grids[grid],
            "category": "facility.lighting",
            "category_label": {"zh": "楼道灯坏", "en": "broken stair light"},
            "team": "repair_crew",
            "priority": "normal",
            "channel": "hotline",
            "state": "dispatched",
            "previous_state": "triaged",
            "case_version": 3,
            "place": "5栋2单元",
            "description": "5栋2单元楼道灯坏了，联系13812345678",
            **overrides,
        }


class EventTap:
    """Every notification.* event notify publishes, read from a queue of the test's own."""

    def __init__(self, amqp_uri: str):
        self.events: list[dict] = []
        self._uri = amqp_uri
        self._queue = Queue(
            "notify-test-tap",
            Exchange("notify.events", type="topic", durable=True),
            routing_key="notification.#",
            durable=True,
        )
        with Connection(amqp_uri) as connection:
            self._queue(connection.channel()).declare()

    def drain(self) -> list[dict]:
        with Connection(self._uri) as connection:
            bound = self._queue(connection.channel())
            while (message := bound.get(no_ack=True)) is not None:
                self.events.append(message.payload)
        return self.events

    def about(self, delivery_id: str) -> list[str]:
        return [e["type"] for e in self.drain() if e["payload"]["delivery_id"] == delivery_id]


def add_person(notify, scenario, person_id, contacts, **kwargs) -> None:
    notify.publish("roster", scenario.person(person_id, contacts, **kwargs))
    key = person_id
    version = kwargs.get("version", 1)
    wait_until(
        f"person {person_id}",
        lambda: (notify.db["people"].find_one({"_id": key}) or {}).get("version") == version,
    )


def dispatched(scenario, person_id: str, **overrides) -> dict:
    now = datetime.now(UTC)
    about = scenario.case(**overrides)
    return envelope(
        "case.dispatched",
        {
            **about,
            "offer_id": "OF-1",
            "person_id": person_id,
            "display_name": "侯**",
            "offer_expires_at": (now + timedelta(minutes=30)).isoformat(),
            "accept_by": (now + timedelta(minutes=30)).isoformat(),
            "resolve_by": (now + timedelta(hours=24)).isoformat(),
            "attempt": 1,
        },
        about["case_id"],
    )


def sent(notify, case_id: str, count: int = 1) -> list[dict]:
    return wait_until(
        f"{count} sent deliveries for {case_id}",
        lambda: len(found := notify.deliveries(case_id=case_id, state="sent")) >= count and found,
    )
