"""The 12345 hotline's work orders (工单) for the community, each with the hotline's own
deadline, followed through their life (scenarios/cases.py); when one closes, notify
calls the hotline back with the reply (办结回复), received here as the 12345 platform.
Checked: every order a case counted once under the hotline channel and in the hotline
report, and every order closed answered exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from random import Random
from typing import Any

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.scenarios.cases import CaseLives, draw, stamped
from scripts.simulate.scenarios.reports import WHAT
from scripts.simulate.stage import COMMUNITY, HOTLINE
from scripts.simulate.timeline import Agenda, Quarter

DEADLINE = timedelta(days=3)  # the hotline's usual time limit for a community's order
CATEGORY_TEXT = {  # the hotline's own classification, as its operators type it
    "facility": "城市管理-设施维修",
    "environment": "城市管理-环境卫生",
    "parking": "交通管理-违章停车",
    "civility": "社会治安-文明行为",
    "security": "市场监管-虚假宣传",
    "care": "民政服务-老人关爱",
    "referral": "住房保障-不动产登记",
    "general": "其他",
}


class HotlineOrders:
    name = "hotline"

    def __init__(self, apis: Apis, rng: Random, lives: CaseLives):
        self.apis = apis
        self.rng = rng
        self.lives = lives
        self.truth = Truth()
        self.closed: set[str] = set()  # the orders closed in the quarter

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.truth.window = (quarter.starts, quarter.ends)
        number = 0
        for day in quarter.each_day():
            for _ in range(self.rng.randrange(int(volumes.HOTLINE_ORDERS_PER_DAY * 2) + 1)):
                number += 1
                hour = draw(self.rng, volumes.HOURS) + self.rng.random()
                category = draw(self.rng, volumes.CATEGORIES)
                order = self.order(f"GD{day:%Y%m%d}{number:05d}", category)
                seed = self.rng.getrandbits(32)
                act = partial(self.send, order, category, seed)
                agenda.at(quarter.at(day, hour), "hotline order", act, arrival=True)

    def order(self, order_no: str, category: str) -> dict[str, Any]:
        unit = self.rng.choice(people.units())
        return {
            "hotline_id": HOTLINE,
            "order_no": order_no,
            "community_id": COMMUNITY,
            "description": f"市民来电：{WHAT[category]}（{unit.code}）",
            "category_text": CATEGORY_TEXT[category.split(".")[0]],
            "caller": {
                "name": "市民",
                "phone": f"137{self.rng.randrange(10**8):08d}",
                "consent": True,
            },
            "location": {"area_code": unit.code},
        }

    def send(self, order: dict[str, Any], category: str, seed: int) -> None:
        deadline = self.lives.agenda.clock.now() + DEADLINE
        order = {**order, "deadline": deadline.isoformat()}

        def closed(case: dict) -> None:
            at = stamped(case)
            on_time = datetime.fromisoformat(at) <= deadline
            self.truth.count("closed", at=at, on_time="yes" if on_time else "no")
            if self.truth.within(at):
                self.closed.add(order["order_no"])

        case = self.lives.report("hotline", order, seed, "/v1/hotline/orders", category=category,
                          on_closed=closed)  # fmt: skip
        self.truth.count("orders", at=case["reported_at"])

    def check(self, statistics: Any) -> Iterable[Check]:
        summary = statistics.summary()
        collected = summary["by_channel"].get("hotline", {}).get("collected", 0)
        yield Check(
            self.name, "orders (by_channel.hotline)", self.truth.counts["orders"], collected
        )
        yield Check(
            self.name, "orders (hotline report)", self.truth.counts["orders"],
            statistics.hotline()["hotline_cases"],
        )  # fmt: skip
        replies = Counter(statistics.hotline_replies())
        answered = sum(1 for order_no in self.closed if replies[order_no])
        yield Check(self.name, "closed orders answered", len(self.closed), answered)
        yield Check(self.name, "orders answered twice", 0, sum(n > 1 for n in replies.values()))
        ratings = Counter(statistics.hotline_replies(rated=True))
        yield Check(self.name, "ratings passed on twice", 0, sum(n > 1 for n in ratings.values()))
        never_closed = len(set(ratings) - set(replies))
        yield Check(self.name, "ratings of orders never closed", 0, never_closed)
        on_time = self.truth.breakdown("closed_by_on_time").get("yes", 0)
        yield Check(self.name, "closed by the hotline's deadline", on_time, None, exact=False)
