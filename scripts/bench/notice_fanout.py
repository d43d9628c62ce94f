"""One notice to a whole community of 5,926 households, on the FerretDB the services use.

    .venv/bin/python -m scripts.bench.notice_fanout [--households 5926] [--units 138]

In a scratch database, notify's replicas are filled as roster's events would fill them
(a community of `--units` units over 46 buildings and 3 grids, one person with an SMS
number per household, every unit with a leaders' group in the routes), then one notice
goes to the whole community through notify's own use cases (services/notify/app/
notices.py): the send, the plan, every batch (each delivery stored and "sent" to a
channel that only records it, so the figure is the store's and the templates', not a
gateway's), then the counts a notice's page and the listing read. Each step's wall time is printed;
docs/store-queries.md quotes them. The database is dropped at the end.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import click
from pymongo import MongoClient

from lianxin.access.actors import Actor
from lianxin.access.case_pages import CasePageLinks
from lianxin.access.progress_links import ProgressLinks
from lianxin.backoff import BackOff
from lianxin.bus.memory import MemoryPublisher
from lianxin.config import Settings
from lianxin.store.engine import Engine
from lianxin.store.repository import StoreContext
from services.notify.app import notices, replicas
from services.notify.channels.registry import Channels
from services.notify.compose import Outbound, load_labels
from services.notify.domain.links import ActionLinks
from services.notify.domain.messages import Messages
from services.notify.domain.notice_links import NoticeLinks
from services.notify.domain.people import RateLimit
from services.notify.domain.routes import CommunityRoutes, GroupRoute, Routes
from services.notify.store import NotifyStore

COMMUNITY = "bench"
SECRET = "bench-token-secret-0123456789abcdef"
AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: nobody's quiet hours


@dataclass
class Recording:
    """A channel that takes every message at once and keeps only the count."""

    name: str
    sent: int = 0

    def send(self, delivery, message, target, budget: float) -> str:
        self.sent += 1
        return "HTTP 200"


def outbound(units: list[str]) -> tuple[Outbound, dict[str, Recording]]:
    robot = "https://robot.example.cn/send?key="
    groups = {unit: GroupRoute("wecom", robot + unit) for unit in units}
    routes = Routes({COMMUNITY: CommunityRoutes("压测社区", groups=groups)})
    receivers = {name: Recording(name) for name in ("sms", "wecom", "webhook")}
    made = Outbound(
        channels=Channels(receivers, routes, "bench-signing-secret-0123456789", 5.0),
        messages=Messages(), words=load_labels(),
        links=ActionLinks(SECRET, "https://notify.example.cn"),
        progress_links=ProgressLinks(SECRET),
        routes=routes, back_off=BackOff(max_attempts=3, base_seconds=60), rate_limit=RateLimit(),
        link_days=7, accept_link_hours=2.0, secrets=(), console_url="https://console.example.cn",
        case_pages=CasePageLinks(SECRET), notice_links=NoticeLinks(SECRET),
    )  # fmt: skip
    return made, receivers


def fill(store: NotifyStore, households: int, units: int) -> list[str]:
    """The area tree and one texted person per household, as roster's events leave them."""
    nodes = [(COMMUNITY, "community", None)]
    nodes += [(f"{COMMUNITY}-g{g}", "grid", COMMUNITY) for g in range(1, 4)]
    nodes += [(f"{COMMUNITY}-e{g}", "estate", f"{COMMUNITY}-g{g}") for g in range(1, 4)]
    buildings = [f"{COMMUNITY}-b{b:02d}" for b in range(1, 47)]
    nodes += [(b, "building", f"{COMMUNITY}-e{i % 3 + 1}") for i, b in enumerate(buildings)]
    unit_codes = [f"{buildings[u % 46]}-u{u // 46 + 1}" for u in range(units)]
    nodes += [(u, "unit", u.rsplit("-", 1)[0]) for u in unit_codes]
    for version, (code, kind, parent) in enumerate(nodes, start=1):
        node = {"code": code, "kind": kind, "parent": parent, "community_id": COMMUNITY,
                "name": code, "households": None, "polygon": [], "timezone": None}  # fmt: skip
        replicas.apply_area(store, {"node": node, "removed": False, "area_version": version})
    for index in range(households):
        replicas.apply_person(store, {
            "person_id": f"p-{index:05d}", "community_id": COMMUNITY, "display_name": "住**",
            "roles": ["resident"], "teams": [], "home_grids": [],
            "contacts": [{"channel": "sms", "address": f"139{index:08d}"}], "quiet_hours": None,
            "active": True, "unit_id": unit_codes[index % units], "person_version": 1,
        })  # fmt: skip
    return unit_codes


@click.command()
@click.option("--households", default=5926, show_default=True)
@click.option("--units", default=138, show_default=True)
@click.option("--mongo-uri", default="mongodb://127.0.0.1:27017/", show_default=True)
def main(households: int, units: int, mongo_uri: str) -> None:
    client = MongoClient(mongo_uri)
    name = f"bench_notices_{uuid.uuid4().hex[:8]}"
    db = client[name]
    publisher = MemoryPublisher()
    context = StoreContext.on(db, Engine.detect(db), Settings("notify"), {}, publisher)
    store = NotifyStore(context)
    try:
        started = time.monotonic()
        unit_codes = fill(store, households, units)
        click.echo(f"replicas: {len(unit_codes)} units, {households} people in "
                   f"{time.monotonic() - started:.1f} s (not part of a notice)")  # fmt: skip
        made, receivers = outbound(unit_codes)
        staff = Actor("k-bench", "bench", frozenset({"read", "act"}), frozenset({COMMUNITY}),
                      "p-bench-staff", "staff")  # fmt: skip
        draft = {"community_id": COMMUNITY, "audience": "community", "code": COMMUNITY,
                 "title": "停水通知", "body": "明日9:00–12:00全社区停水检修，请提前储水。",
                 "urgent": False, "channels": ["group", "sms"]}  # fmt: skip
        clock = lambda: AT  # noqa: E731

        timed = time.monotonic()
        notice = notices.send(store, made, staff, draft, "bench-1", AT)
        click.echo(f"send (the request's work): {(time.monotonic() - timed) * 1000:.0f} ms")
        timed = time.monotonic()
        [plan] = [d for d in publisher.deadlines if d.kind == notices.PLAN]
        notices.plan(store, made, plan)
        click.echo(f"plan: {(time.monotonic() - timed) * 1000:.0f} ms")
        batches = [d for d in publisher.deadlines if d.kind == notices.BATCH]
        timed = time.monotonic()
        for batch in batches:
            notices.send_batch(store, made, batch, clock)
        spent = time.monotonic() - timed
        sent = sum(r.sent for r in receivers.values())
        click.echo(f"{len(batches)} batches, {sent} deliveries: {spent:.1f} s, "
                   f"{spent / max(sent, 1) * 1000:.1f} ms each, "
                   f"{spent / max(len(batches), 1):.1f} s per batch")  # fmt: skip
        timed = time.monotonic()
        _, counts, _ = notices.shown(store, staff, notice.id)
        click.echo(f"its page (counts and readers from every entry, {counts}): "
                   f"{(time.monotonic() - timed) * 1000:.0f} ms")  # fmt: skip
        timed = time.monotonic()
        [(_, summed)], _ = notices.listing(store, staff, COMMUNITY, None, 20)
        assert summed == counts
        click.echo(f"the listing's counts (the batches' sums): "
                   f"{(time.monotonic() - timed) * 1000:.0f} ms")  # fmt: skip
    finally:
        client.drop_database(name)
        client.close()


if __name__ == "__main__":
    main()
