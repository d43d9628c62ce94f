"""The Red Sail mediation desk (红帆驿站·矛盾调处): disputes reported in person or in the
groups wait for the desk's Friday sessions; staff give the parties an appointment in a
session, record them (with their consent) and, at the session, the outcome — an
agreement (a follow-up visit 30 days later) or a referral; the mediator on duty then
closes the case as any other. Checked: disputes taken, appointments, agreements,
referrals and follow-ups, one for one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.scenarios.cases import CaseLives, draw, stamped
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Agenda, Quarter
from services.cases.compose import load_taxonomy

WHAT = {
    "dispute.neighbour": "楼上漏水到我家，邻居不管，吵了好几次",
    "dispute.family": "儿女不赡养老人，家里闹矛盾",
    "dispute.property_management": "物业乱收停车费，业主和物业起争执",
    "dispute.labour": "装修工人被拖欠工资",
    "dispute.damages": "高空坠物砸坏了车，要求赔偿",
}
REFERRALS = {"peoples_mediation": 0.5, "court": 0.3, "department": 0.2}
TEAM = "mediation_desk"


class MediationDesk:
    name = "mediation"

    def __init__(self, apis: Apis, rng: Random, lives: CaseLives):
        self.apis = apis
        self.rng = rng
        self.lives = lives
        self.truth = Truth()
        self.desk = load_taxonomy().desk(COMMUNITY, TEAM)  # the desk's calendar, as cases has it

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.truth.window = (quarter.starts, quarter.ends)
        days = quarter.each_day()
        for _ in range(volumes.DISPUTES_PER_QUARTER):
            day = self.rng.choice(days)
            hour = self.rng.uniform(8, 20)
            category = draw(self.rng, volumes.DISPUTES)
            seed = self.rng.getrandbits(32)
            agenda.at(quarter.at(day, hour), "dispute",
                      partial(self.take, category, seed), arrival=True)  # fmt: skip

    def take(self, category: str, seed: int) -> None:
        rng = Random(seed)
        unit = rng.choice(people.units())
        body = {
            "community_id": COMMUNITY,
            "channel": draw(rng, {"walk_in": 0.6, "wechat": 0.4}),
            "category": category,
            "description": f"{WHAT[category]}（{unit.code}）",
            "location": {"area_code": unit.code},
            "reporter": {"name": "居民", "phone": f"136{rng.randrange(10**8):08d}"},
        }
        case = self.lives.report("intake", body, rng.getrandbits(32), held=True)
        self.truth.count("disputes", at=case["reported_at"])
        # a session still to come by the time the request lands (a real second is hours)
        ahead = self.lives.agenda.clock.now() + max(
            timedelta(hours=2), timedelta(seconds=self.lives.agenda.clock.speed)
        )
        session = next(o for o in self.desk.openings(ahead) if o.opens > ahead)
        starts = session.opens + timedelta(minutes=30 * rng.randrange(4))
        answer = self.apis.call(
            "POST", "cases", f"/v1/cases/{case['id']}/appointment", "staff", idempotent=True,
            expect=(200, 400), json={"starts_at": starts.isoformat(), "minutes": 60,
                                     "venue": "红帆驿站"},
        )  # fmt: skip
        if answer.status_code == 400:  # the session began while the request waited: too late
            self.truth.count("appointments_too_late")
            self.lives.release(case["id"])  # the mediator on duty closes it as any other
            return
        self.truth.count("appointments", at=stamped(answer.json()))
        for role, name in (("applicant", "申请人"), ("respondent", "被申请人")):
            party = {"name": name, "role": role, "consent": True,
                     "phone": f"135{rng.randrange(10**8):08d}"}  # fmt: skip
            self.apis.call("POST", "cases", f"/v1/cases/{case['id']}/parties", "staff",
                           idempotent=True, json=party)  # fmt: skip
        self.lives.agenda.at(starts + timedelta(minutes=50), "mediation outcome",
                             lambda: self.outcome(case["id"], starts, rng))  # fmt: skip

    def outcome(self, case_id: str, starts: datetime, rng: Random) -> None:
        """The session held (both parties, a mediator of the desk's team), then its
        outcome: cases takes no outcome before a session is on record."""
        mediator = rng.choice(people.team(TEAM))
        session = {"held_at": starts.isoformat(), "minutes": 45, "parties": ["P1", "P2"],
                   "mediators": [mediator.id], "note": "双方到场，调解员主持"}  # fmt: skip
        self.apis.json("POST", "cases", f"/v1/cases/{case_id}/sessions", "staff",
                       idempotent=True, json=session)  # fmt: skip
        self.truth.count("sessions")
        if rng.random() < volumes.AGREEMENT_SHARE:
            body: dict[str, Any] = {"result": "agreement", "agreement": "双方协商一致，按协议履行",
                                    "signed_by": ["申请人", "被申请人"]}  # fmt: skip
        else:
            referred = draw(rng, REFERRALS)
            body = {"result": "referral", "referred_to": referred,
                    "department": "区住建局" if referred == "department" else ""}  # fmt: skip
        recorded = self.apis.json("POST", "cases", f"/v1/cases/{case_id}/outcome", "staff",
                                  idempotent=True, json=body)  # fmt: skip
        self.truth.count("settled" if body["result"] == "agreement" else "referred",
                         at=stamped(recorded))  # fmt: skip
        self.lives.release(case_id)
        if body["result"] == "agreement":
            follow_up = self.lives.agenda.clock.now() + timedelta(days=volumes.FOLLOW_UP_DAYS)
            self.lives.agenda.at(_by_day(follow_up, self.desk.zone), "mediation follow-up",
                                 lambda: self.follow_up(case_id))  # fmt: skip

    def follow_up(self, case_id: str) -> None:
        visited = self.apis.json(
            "POST", "cases", f"/v1/cases/{case_id}/outcome/follow-up", "staff",
            idempotent=True, json={"note": "回访：双方已按协议履行"},
        )  # fmt: skip
        self.truth.count("follow_ups", at=stamped(visited))

    def check(self, statistics: Any) -> Iterable[Check]:
        totals = statistics.summary()["totals"]
        for truth, shown in (
            ("disputes", "disputes_taken"),
            ("appointments", "appointments"),
            ("sessions", "mediation_sessions"),
            ("settled", "disputes_settled"),
            ("referred", "disputes_referred"),
            ("follow_ups", "follow_ups_done"),
        ):
            yield Check(self.name, shown, self.truth.counts[truth], totals.get(shown, 0))


def _by_day(moment: datetime, zone: ZoneInfo) -> datetime:
    """The same day at 10:00 in the community's zone (a visit is made by day)."""
    return moment.astimezone(zone).replace(hour=10, minute=0, second=0, microsecond=0)
