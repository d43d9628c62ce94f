"""Care rounds (邻里守望): residents who agreed to be looked after, registered by staff at
the quarter's start, each with a weekly call or a monthly visit by their unit leader; the
carer ticks each round off (well, or needs help: then a case is opened first), and now
and then misses one, which reminds the carer a day later. Checked: the register, rounds
done, rounds that needed help; rounds missed are shown beside the statistics'."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from random import Random
from typing import Any

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.scenarios.cases import draw
from scripts.simulate.scenarios.reports import Reports
from scripts.simulate.timeline import Agenda, Quarter

REMINDER_AFTER = timedelta(days=1)  # the sample's policy: care_reminder_after (policy.yaml)
NEEDS = {"elderly_alone": 0.8, "disability": 0.15, "left_behind_child": 0.05}


class CareRounds:
    name = "care"

    def __init__(self, apis: Apis, rng: Random, reports: Reports):
        self.apis = apis
        self.rng = rng
        self.reports = reports  # a round that needs help reports a case, as the console does
        self.truth = Truth()
        self.quarter: Quarter | None = None

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.truth.window = (quarter.starts, quarter.ends)
        self.quarter = quarter
        cared_for = [unit for unit in people.units() if unit.leader]
        self.rng.shuffle(cared_for)
        plans = [("call", "weekly")] * volumes.CARE_WEEKLY_CALLS
        plans += [("visit", "monthly")] * volumes.CARE_MONTHLY_VISITS
        for n, ((kind, cadence), unit) in enumerate(zip(plans, cared_for, strict=False)):
            first = quarter.at(
                quarter.first + timedelta(days=1 + n % 7), self.rng.choice((9, 10, 15, 16))
            )
            seed = self.rng.getrandbits(32)
            act = partial(self.register, kind, cadence, unit, first, seed)
            agenda.at(quarter.at(quarter.first, 9) + timedelta(minutes=n), "care plan", act)

    def register(self, kind: str, cadence: str, unit: people.Unit, first: datetime, seed: int):
        rng = Random(seed)
        body = {
            "name": "独居老人", "phone": f"138{rng.randrange(10**8):08d}",
            "need": draw(rng, NEEDS), "kind": kind, "cadence": cadence,
            "area_code": unit.code, "carer_id": unit.leader,
            "starts_at": first.isoformat(), "consent": True,
        }  # fmt: skip
        plan = self.apis.json("POST", "roster", "/v1/care/plans", "staff", expect=(200, 201),
                              idempotent=True, json=body)  # fmt: skip
        self.truth.count("plans")
        carer = people.people()[unit.leader]
        made = datetime.fromisoformat(plan["created_at"])
        for due in self._rounds(first, cadence):
            if due < made:  # registered late (an agenda behind the clock): not one of its rounds
                continue
            if rng.random() < volumes.CARE_MISSED_SHARE:
                self._missed(due)
                continue
            needs_help = rng.random() < volumes.CARE_NEEDS_HELP_SHARE
            when = due + timedelta(hours=rng.uniform(-3, 8))
            act = partial(self.tick, plan, carer, unit, due, needs_help, rng.getrandbits(32))
            self.reports.lives.agenda.at(when, "care round", act)

    def tick(self, plan: dict, carer: people.Person, unit: people.Unit, due: datetime,
             needs_help: bool, seed: int) -> None:  # fmt: skip
        body: dict[str, Any] = {"outcome": "well", "note": "电话问候，老人身体还好"}
        if needs_help:
            report = self.reports.body("care.elderly_alone", "door_knocking", unit)
            case = self.reports.report(report, seed)
            body = {
                "outcome": "needs_help",
                "note": "老人腿脚不便，需要上门帮忙",
                "case_id": case["id"],
            }
        day = due.astimezone(self.quarter.zone).date().isoformat()
        ticked = self.apis.call(
            "POST", "roster", f"/v1/care/plans/{plan['id']}/rounds/{day}/tick", "app",
            expect=(200, 201, 409), person=(carer.id, carer.role), json=body,
        )  # fmt: skip
        if ticked.status_code == 409:  # no longer open: an agenda running late; it was missed
            self.truth.count("ticks_refused")
            self._missed(due)
            return
        tick = ticked.json()
        if datetime.fromisoformat(tick["at"]) >= due + REMINDER_AFTER:  # the carer was reminded
            self._missed(due)
        self.truth.count("done", at=tick["at"])
        if needs_help:
            self.truth.count("needs_help", at=tick["at"])

    def _rounds(self, first: datetime, cadence: str) -> list[datetime]:
        """The rounds due in the quarter before its closing (days under 29: every month has
        them, so a monthly round falls on the same day)."""
        found, due, k = [], first, 0
        while due < self.quarter.closing:
            found.append(due)
            k += 1
            if cadence == "weekly":
                due = first + timedelta(weeks=k)
            else:
                month = first.month - 1 + k
                due = first.replace(year=first.year + month // 12, month=month % 12 + 1)
        return found

    def _missed(self, due: datetime) -> None:
        """A round left unticked past its reminder: counted on the day of the reminder."""
        self.truth.count("skipped")
        reminded = (due + REMINDER_AFTER).astimezone(self.quarter.zone).date()
        if reminded <= self.quarter.last:  # counted on the day the carer is reminded
            self.truth.count("missed")

    def check(self, statistics: Any) -> Iterable[Check]:
        rounds = statistics.summary()["care_rounds"]
        yield Check(self.name, "plans registered", self.truth.counts["plans"],
                    statistics.care_plans(), )  # fmt: skip
        for figure in ("done", "needs_help"):
            yield Check(self.name, f"rounds {figure}", self.truth.counts[figure], rounds[figure])
        # which rounds are reminded is roster's decision on its clock: equal to the rounds the
        # carers left unticked only while the simulator keeps pace with the clock (a tick it
        # makes late is reminded first), so shown beside them, not checked
        yield Check(self.name, "rounds missed", self.truth.counts["missed"], rounds["missed"],
                    exact=False)  # fmt: skip
