"""Cases, people and places for the cases unit tests: plain data, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lianxin.access.keys import KeyRecord
from lianxin.access.person_access import PersonAccess
from services.cases.compose import load_taxonomy
from services.cases.domain import areas, intake, lifecycle
from services.cases.domain.areas import AreaNode, CommunityMap
from services.cases.domain.case import By, Case, Outcome
from services.cases.store import KeyExists, KeyNotFound

TAXONOMY = load_taxonomy()
AT = datetime(2026, 3, 6, 1, 30, tzinfo=UTC)
SHARE = TAXONOMY.warning_share

VOLUNTEER = By("p-repair-1", "api", person_id="p-repair-1", role="volunteer", key_id="k-app")
STRANGER = By("p-repair-2", "api", person_id="p-repair-2", role="volunteer", key_id="k-app")
STAFF = By("p-staff-1", "api", person_id="p-staff-1", role="staff", key_id="k-staff")
GRID_WORKER = By("p-g1-gw-1", "api", person_id="p-g1-gw-1", role="grid_worker", key_id="k-staff")
REPORTER = By("hotline-12345", "hotline", key_id="k-hotline")
OTHER_KEY = By("wechat-app", "wechat", key_id="k-wechat")
ADMIN = By("ops", "api", key_id="k-admin", staff=True)
OFFER = {
    "offer_id": "OF-1",
    "person_id": "p-repair-1",
    "display_name": "石*",
    "expires_at": AT + timedelta(minutes=20),
    "attempt": 1,
}


def member(person_id: str, community_id: str = "jingxiang", **overrides) -> PersonAccess:
    """A person of the roster, as every service's access replica knows them."""
    fields = {"roles": ("volunteer",), "active": True, "person_version": 1}
    return PersonAccess(person_id, community_id, **{**fields, **overrides})


def community(community_id: str = "jingxiang") -> CommunityMap:
    """A community of two grids side by side, an estate, a building and two units."""
    nodes = [
        AreaNode(community_id, "community", None, "井湘社区", 1, timezone="Asia/Shanghai"),
        AreaNode(
            "g1",
            "grid",
            community_id,
            "第一网格",
            1,
            polygon=(
                (113.012, 28.1345),
                (113.0165, 28.1345),
                (113.0165, 28.138),
                (113.012, 28.138),
            ),
        ),
        AreaNode(
            "g2",
            "grid",
            community_id,
            "第二网格",
            1,
            polygon=(
                (113.0165, 28.1345),
                (113.021, 28.1345),
                (113.021, 28.138),
                (113.0165, 28.138),
            ),
        ),
        AreaNode("e1", "estate", "g1", "井湘小区", 1),
        AreaNode("e1-b5", "building", "e1", "5栋", 1),
        AreaNode("e1-b5-u1", "unit", "e1-b5", "1单元", 1),
        AreaNode("e1-b5-u2", "unit", "e1-b5", "2单元", 1),
        AreaNode("e2", "estate", "g2", "井湘北苑", 1),
    ]
    return CommunityMap(community_id, {node.code: node for node in nodes})


def report(
    description: str = "5栋2单元楼道灯坏了，晚上看不见台阶",
    location: dict | None = None,
    by: By = REPORTER,
    at: datetime = AT,
    **fields,
) -> Outcome:
    """A report received and triaged, as intake does it (no duplicate index)."""
    received = intake.Report(
        community_id="jingxiang",
        description=description,
        channel=fields.pop("channel", "hotline"),
        location=location or {"grid_id": "g1", "area_code": "e1-b5-u2"},
        reporter=fields.pop("reporter", {"name": "张三", "phone": "13807310001"}),
        **fields,
    )
    located = areas.locate(community(), received.location)
    decided = TAXONOMY.triage(received.description, received.category, received.category_hint)
    outcome = intake.receive("LX-1", "JX-20260306-0001", received, located, decided, by, at)
    return outcome.then(intake.triage(outcome.case, decided, TAXONOMY, at))


def triaged(**fields) -> Case:
    return report(**fields).case


def dispatched(**fields) -> Case:
    return lifecycle.dispatch(triaged(**fields), OFFER, AT + timedelta(minutes=1)).case


def accepted(**fields) -> Case:
    return lifecycle.accept(dispatched(**fields), VOLUNTEER, AT + timedelta(minutes=5)).case


def resolved(**fields) -> Case:
    case = accepted(**fields)
    return lifecycle.resolve(case, VOLUNTEER, "换了灯泡", 1.5, (), AT + timedelta(hours=2)).case


def closed(**fields) -> Case:
    return lifecycle.verify(resolved(**fields), STAFF, "查验合格", AT + timedelta(hours=3)).case


class Keys:
    """KeyStore's contract, in memory."""

    def __init__(self):
        self.records: dict[str, KeyRecord] = {}
        self.events: list = []

    def save(self, record: KeyRecord, event, expect_new: bool) -> KeyRecord:
        if expect_new and record.id in self.records:
            raise KeyExists(record.id)
        if not expect_new and record.id not in self.records:
            raise KeyNotFound(record.id)
        self.records[record.id] = record
        self.events.append(event)
        return record

    def get(self, key_id: str) -> KeyRecord | None:
        return self.records.get(key_id)

    def all(self) -> list[KeyRecord]:
        return list(self.records.values())
