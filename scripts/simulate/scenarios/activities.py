"""Volunteer activities (clean-up drives, patrols, visit days): staff publish them some days
ahead with places and an hours rule; volunteers sign up, check in on the day (some late,
some not at all) and are credited by the rule. Checked: activities held, attendances
and minutes credited in the statistics, and every attendance's minutes in the
volunteer's own hours ledger, line for line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from random import Random
from typing import Any

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Agenda, Quarter


@dataclass(frozen=True)
class Kind:
    kind: str
    title: str
    start_hour: float
    hours: float
    rule: dict[str, Any]  # the activity's hours rule, as published

    def credits(self) -> int:
        """The minutes one attendance credits, by the rule (what the ledger must show)."""
        if self.rule["basis"] == "fixed":
            return self.rule["fixed_minutes"]
        return min(int(self.hours * 60), self.rule.get("cap_minutes") or 10**6)


KINDS = (
    Kind("cleanup", "清洁家园·楼道清理", 8.5, 3, {"basis": "length", "cap_minutes": 150}),
    Kind("patrol", "红马甲夜间巡逻", 19, 2, {"basis": "length"}),
    Kind("visit_day", "敬老探访日", 14, 2.5, {"basis": "fixed", "fixed_minutes": 120}),
)
CAPACITY = 20


class Activities:
    name = "activities"

    def __init__(self, apis: Apis, rng: Random):
        self.apis = apis
        self.rng = rng
        self.truth = Truth()
        self.credited: dict[str, int] = {}  # person → minutes their attendances credit

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.agenda = agenda
        self.truth.window = (quarter.starts, quarter.ends)
        spacing = quarter.days / volumes.ACTIVITIES_PER_QUARTER
        for n in range(volumes.ACTIVITIES_PER_QUARTER):
            kind = KINDS[n % len(KINDS)]
            day = quarter.first + timedelta(days=int(spacing * n + spacing / 2))
            starts = quarter.at(day, kind.start_hour)
            published = max(starts - timedelta(days=6), quarter.at(quarter.first, 9))
            seed = self.rng.getrandbits(32)
            agenda.at(published, "publish activity",
                      partial(self.publish, kind, starts, seed))  # fmt: skip

    def publish(self, kind: Kind, starts: datetime, seed: int) -> None:
        rng = Random(seed)
        body = {
            "community_id": COMMUNITY, "kind": kind.kind, "title": kind.title,
            "places": sorted({unit.grid for unit in people.units()}),
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=kind.hours)).isoformat(),
            "capacity": CAPACITY, "hours_rule": kind.rule,
        }  # fmt: skip
        activity = self.apis.json("POST", "roster", "/v1/activities", "staff", expect=(200, 201),
                                  idempotent=True, json=body)  # fmt: skip
        self.truth.count("held", at=starts)  # held on the day it starts
        asked = people.with_role("volunteer")
        joining = rng.sample(asked, min(CAPACITY, int(len(asked) * volumes.ACTIVITY_SIGNUP_SHARE)))
        now = self.agenda.clock.now()
        for person in joining:
            signs_up = now + (starts - now) * rng.uniform(0.05, 0.8)
            act = partial(self.sign_up, person, activity, kind, starts, rng.getrandbits(32))
            self.agenda.at(signs_up, "sign up", act)

    def sign_up(self, person: people.Person, activity: dict, kind: Kind, starts: datetime,
                seed: int) -> None:  # fmt: skip
        rng = Random(seed)
        signed = self.apis.call(
            "POST", "roster", f"/v1/activities/{activity['activity_id']}/signup", "app",
            expect=(200, 409), person=(person.id, person.role),
        )  # fmt: skip
        if signed.status_code == 409:  # full, or started: too late (an agenda running late)
            self.truth.count("signups_refused")
            return
        self.truth.count("signed_up")
        if rng.random() < volumes.ACTIVITY_NO_SHOW_SHARE:
            self.truth.count("no_shows")
            return
        late = rng.random() < volumes.ACTIVITY_LATE_SHARE
        minutes = rng.uniform(35, kind.hours * 60 - 15) if late else rng.uniform(0, 15)
        self.agenda.at(starts + timedelta(minutes=minutes), "check in",
                       lambda: self.check_in(person, activity, kind, late))  # fmt: skip

    def check_in(self, person: people.Person, activity: dict, kind: Kind, late: bool) -> None:
        answer = self.apis.call(
            "POST", "roster", f"/v1/activities/{activity['activity_id']}/check-in", "app",
            expect=(200, 409), person=(person.id, person.role),
        )  # fmt: skip
        if answer.status_code == 409:  # it was over: an agenda running late
            self.truth.count("check_ins_refused")
            return
        entry = answer.json()
        self.truth.count("attended", at=entry["at"], late="late" if late else "on_time")
        self.truth.count("minutes", kind.credits(), at=entry["at"])
        if self.truth.within(entry["at"]):
            self.credited[person.id] = self.credited.get(person.id, 0) + kind.credits()

    def check(self, statistics: Any) -> Iterable[Check]:
        shown = statistics.summary()["activities"]
        yield Check(self.name, "held", self.truth.counts["held"], shown["held"])
        yield Check(self.name, "attended", self.truth.counts["attended"], shown["attended"])
        yield Check(self.name, "minutes credited", self.truth.counts["minutes"],
                    shown["minutes_credited"])  # fmt: skip
        ledgers = {person: statistics.activity_minutes(person) for person in self.credited}
        yield Check(self.name, "minutes in the volunteers' ledgers", self.credited, ledgers)
        late = self.truth.breakdown("attended_by_late").get("late", 0)
        yield Check(self.name, "checked in late", late, None, exact=False)
