"""Residents' and grid workers' reports: by category, hour and channel (WeChat groups,
patrols, door-knocking, walk-ins, the app, the scan poster), each followed through its
life (scenarios/cases.py). Its truth is every case's, whichever scenario reported it:
checked, every report counted once (in all, by channel, by category) and every
acceptance, decline, staff assignment, resolution, check and rating the simulator made."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from random import Random
from typing import Any

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check
from scripts.simulate.scenarios.cases import UNPLACED, CaseLives, draw
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Agenda, Quarter

WHAT = {  # what residents write, by category (the category is also given, as apps do)
    "facility.lighting": "楼道灯坏了，晚上看不见",
    "facility.household_repair": "家里水龙头漏水，老人不会修",
    "facility.drain_blocked": "下水道堵了，污水往外冒",
    "environment.stairwell_clutter": "楼道里堆满纸箱旧家具，堵住楼梯",
    "environment.litter": "垃圾桶旁边垃圾满地没人清",
    "environment.green_space_encroachment": "有人在公共绿地上种菜",
    "environment.poultry": "有人在楼下空地养鸡",
    "parking.fire_lane": "消防通道被私家车堵住了",
    "parking.zombie_car": "一辆车停了半年没动过，轮胎都瘪了",
    "civility.pets": "狗没拴绳到处跑，吓到小孩",
    "civility.noise": "楼上半夜装修噪音很大",
    "civility.thrown_objects": "有人从楼上往下扔垃圾",
    "security.fraud_sales": "有人在小区里推销假保健品",
    "care.elderly_alone": "隔壁独居老人好几天没出门了",
    "referral.property_title": "房产证办了好几年还没下来",
    "general.other": "小区门口的宣传栏被风吹坏了",
}
# the statistics' totals that count what the simulator's people did, one for one
FIGURES = ("reported", "merged", "assigned", "accepted", "declined", "resolved", "closed", "rated")


class Reports:
    name = "reports"

    def __init__(self, apis: Apis, rng: Random):
        self.apis = apis
        self.rng = rng
        self.lives = CaseLives(apis)
        self.truth = self.lives.truth

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.truth.window = (quarter.starts, quarter.ends)
        self.lives.agenda = agenda
        for day in quarter.each_day():
            rate = volumes.REPORTS_PER_DAY * (volumes.WEEKEND_FACTOR if day.weekday() >= 5 else 1)
            for _ in range(_poisson(self.rng, rate)):
                hour = draw(self.rng, volumes.HOURS) + self.rng.random()
                body = self.body(
                    draw(self.rng, volumes.CATEGORIES), draw(self.rng, volumes.CHANNELS)
                )
                seed = self.rng.getrandbits(32)
                agenda.at(quarter.at(day, hour), "report", partial(self.report, body, seed),
                          arrival=True)  # fmt: skip

    def body(self, category: str, channel: str, unit: people.Unit | None = None) -> dict[str, Any]:
        unit = unit or self.rng.choice(people.units())
        return {
            "community_id": COMMUNITY,
            "channel": channel,
            "category": category,
            "description": f"{WHAT[category]}（{unit.code}）",
            "location": {"area_code": unit.code},
            "reporter": {"name": "居民", "phone": f"139{self.rng.randrange(10**8):08d}"},
        }

    def report(self, body: dict[str, Any], seed: int, **more: Any) -> dict:
        return self.lives.report("intake", body, seed, **more)

    def check(self, statistics: Any) -> Iterable[Check]:
        summary = statistics.summary()
        totals = summary["totals"]
        for figure in FIGURES:
            yield Check(self.name, figure, self.truth.counts[figure], totals.get(figure, 0))
        for dimension in ("channel", "category"):
            shown = {
                value: row["collected"]
                for value, row in summary[f"by_{dimension}"].items()
                if row["collected"]
            }
            counted = self.truth.breakdown(f"reported_by_{dimension}")
            counted.pop(UNPLACED, None)  # counted under no category (triage later places it)
            yield Check(self.name, f"reported by {dimension}", counted, shown)
        placed_later = self.truth.breakdown("reported_by_category").get(UNPLACED, 0)
        yield Check(self.name, "reported without a category", placed_later, None, exact=False)
        yield Check(
            self.name,
            "median reported → resolved (h)",
            _hours(statistics.median(self.truth.samples.get("resolve_seconds", []))),
            _hours(summary["time_to_resolve"]["median_seconds"]),
            exact=False,
        )
        for figure in ("dispatched", "escalated", "offers_expired", "overdue"):
            yield Check(self.name, figure, None, totals.get(figure, 0), exact=False)
        for figure in ("offers_missed", "left_open"):
            yield Check(self.name, figure, self.truth.counts[figure], None, exact=False)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _poisson(rng: Random, mean: float) -> int:
    """Knuth's: how many reports a day brings."""
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
