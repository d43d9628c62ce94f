"""The property company's evaluation (物业考评): at the quarter's start staff record each
estate's company; over the quarter households cast one online ballot each on the
residents' page (a few try a second time, from the same or another number: refused);
residents' complaints about the company are the cases of the property-complaint
category the simulator reports (the mediation desk's property disputes: metrics counts
every dispute the desk takes, so they come through it); once the quarter's acts are
done staff enter the station's paper ballots and close the quarter. Checked, estate by
estate: the ballots counted once each, the satisfaction share and the complaints equal
the simulator's, and the verdict (warning or none: a new company's first quarter) is
what the community's thresholds make of those figures."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from random import Random
from typing import Any

import yaml

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.scenarios.cases import CaseLives, draw
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Agenda, Quarter
from scripts.stack import ROOT

COMPLAINT = "dispute.property_management"  # the taxonomy marks it property_complaint
ANSWERS = ("satisfied", "basically_satisfied", "dissatisfied")
CONTENT = ANSWERS[:2]  # content with the company: what the satisfaction share counts
ASPECTS = ("cleaning", "security", "repairs", "green_space")
COMPANIES = {"jingxiang-e1": "湘安物业", "jingxiang-e2": "恒顺物业", "jingxiang-e3": "绿城服务"}
CAUGHT_UP_WAITS = (0.5, 1, 2, 4, 8)  # real seconds: estate counting the last complaints


@dataclass
class Estate:
    """What the simulator knows of an estate's quarter."""

    households: int  # on the register: complaints are per 100 of them
    overall: Counter = field(default_factory=Counter)  # online and paper, by answer

    @property
    def ballots(self) -> int:
        return sum(self.overall.values())

    @property
    def satisfaction(self) -> float | None:
        return sum(self.overall[a] for a in CONTENT) / self.ballots if self.ballots else None


@cache
def thresholds() -> dict[str, float]:
    """The community's thresholds (the sample keeps the defaults: data/property.yaml)."""
    return yaml.safe_load((ROOT / "services/estate/data/property.yaml").read_text("utf-8"))


def verdict(ballots: int, satisfaction: float | None, complaints: int, households: int,
            rules: dict[str, float]) -> str:  # fmt: skip
    """A new company's first quarter: a warning when below the thresholds, else none."""
    unhappy = (satisfaction is not None and ballots >= rules["min_ballots"]
               and satisfaction < rules["min_satisfaction"])  # fmt: skip
    complained = households > 0 and 100 * complaints / households > rules["max_complaints_per_100"]
    return "warning" if unhappy or complained else "none"


class PropertyEvaluation:
    name = "property"

    def __init__(self, apis: Apis, rng: Random, lives: CaseLives):
        self.apis = apis
        self.rng = rng
        self.lives = lives  # what was reported: the complaints among it
        self.truth = Truth()
        self.estates = {
            estate: Estate(households)
            for estate, households in Counter(h.estate for h in people.households()).items()
        }
        self.closed_at: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.quarter = quarter
        self.truth.window = (quarter.starts, quarter.ends)
        agenda.at(quarter.starts, "property companies", self.contract)
        voters = []
        for household in people.households():
            day, hour = self.rng.randrange(volumes.QUARTER_DAYS), self.rng.uniform(8, 20)
            if self.rng.random() < volumes.PROPERTY_ONLINE_SHARE and day < quarter.days:
                voters.append((quarter.at(quarter.first + timedelta(days=day), hour), household))
        for n, (when, household) in enumerate(sorted(voters, key=lambda v: v[0])):
            twice = n % volumes.PROPERTY_TWICE_EVERY == 3
            act = partial(self.vote, household, twice, self.rng.getrandbits(32))
            agenda.at(when, "property ballot", act, arrival=True)
        low, high = volumes.PROPERTY_PAPER_BALLOTS
        for estate in sorted(self.estates):  # the station's box, counted after the last day
            act = partial(self.paper, estate, self.rng.randint(low, high), self.rng.getrandbits(32))
            agenda.at_end("paper ballots", act)
        agenda.at_end("property close", self.close)

    def contract(self) -> None:
        year = self.quarter.first.year
        for estate in sorted(self.estates):
            body = {"community_id": COMMUNITY, "name": COMPANIES[estate],
                    "starts_on": f"{year}-01-01", "ends_on": f"{year + 2}-12-31"}  # fmt: skip
            self.apis.call("PUT", "estate", f"/v1/property/estates/{estate}/company", "staff",
                           json=body)  # fmt: skip

    def vote(self, household: people.Household, twice: bool, seed: int) -> None:
        rng = Random(seed)
        mood = volumes.PROPERTY_MOODS[household.estate]
        body = {"community_id": COMMUNITY, "phone": household.phones[0],
                "household_id": household.id, "overall": draw(rng, mood),
                "aspects": {aspect: draw(rng, mood) for aspect in ASPECTS},
                "comment": "保安夜里常不在岗" if rng.random() < 0.2 else ""}  # fmt: skip
        cast = self.apis.call("POST", "estate", "/v1/property/ballots", "residents",
                              expect=(201, 409), json=body)  # fmt: skip
        if cast.status_code == 409:  # closed meanwhile: an agenda behind the clock
            self.truth.count(f"ballots_refused_{_code(cast)}")
            return
        self.truth.count("ballots_online", at=cast.json()["at"])
        with self._lock:
            self.estates[household.estate].overall[body["overall"]] += 1
        if twice:  # again, from another number of the household if it has one
            again = {**body, "phone": household.phones[-1], "overall": draw(rng, mood)}
            refused = self.apis.call("POST", "estate", "/v1/property/ballots", "residents",
                                     expect=(409,), json=again)  # fmt: skip
            self.truth.count("second_ballots")
            if _code(refused) == "already_voted":
                self.truth.count("second_ballots_refused")

    def paper(self, estate: str, ballots: int, seed: int) -> None:
        """The station's ballot box, counted by hand and entered once."""
        rng = Random(seed)
        mood = volumes.PROPERTY_MOODS[estate]
        overall = Counter(draw(rng, mood) for _ in range(ballots))
        aspects = {aspect: Counter(draw(rng, mood) for _ in range(ballots)) for aspect in ASPECTS}
        body = {
            "community_id": COMMUNITY,
            "quarter": self._quarter_name(),
            "overall": _counts(overall),
            "aspects": {aspect: _counts(counts) for aspect, counts in aspects.items()},
        }
        self.apis.call("POST", "estate", f"/v1/property/estates/{estate}/offline", "staff",
                       expect=(200, 201), json=body)  # fmt: skip
        self.truth.count("ballots_paper", ballots)
        with self._lock:
            self.estates[estate].overall.update(overall)

    def close(self) -> None:
        """Staff close the quarter once the estate's page shows every complaint reported."""
        quarter = self._quarter_name()
        for estate in sorted(self.estates):
            for wait in (*CAUGHT_UP_WAITS, None):
                shown = self._open(estate, quarter)
                if shown is None or shown["complaints"] >= self.complaints().get(estate, 0):
                    break
                if wait is not None:
                    time.sleep(wait)
            closed = self.apis.json(
                "POST", "estate", f"/v1/property/estates/{estate}/quarters/{quarter}/close",
                "staff", json={"community_id": COMMUNITY},
            )  # fmt: skip
            frozen = closed["history"][0]["closed_at"]
            self.closed_at[estate] = datetime.fromisoformat(frozen)
            self.truth.count("quarters_closed", at=frozen)

    def _open(self, estate: str, quarter: str) -> dict | None:
        found = self.apis.json("GET", "estate", f"/v1/property/estates/{estate}", "staff",
                               params={"community_id": COMMUNITY})  # fmt: skip
        return next((q for q in found["open"] if q["quarter"] == quarter), None)

    def complaints(self) -> dict[str, int]:
        """The cases the simulator reported in the complaint category, by estate, reported
        before the quarter closed."""
        counted: Counter = Counter()
        for body, case in list(self.lives.reported):
            if case["category"] != COMPLAINT or case["state"] == "merged":
                continue
            estate = people.estate_of(body["location"]["area_code"])
            closed = self.closed_at.get(estate or "")
            reported = datetime.fromisoformat(case["reported_at"])
            if estate in self.estates and (closed is None or reported < closed):
                counted[estate] += 1
        return dict(counted)

    def _quarter_name(self) -> str:
        last = self.quarter.last
        return f"{last.year}-Q{(last.month - 1) // 3 + 1}"

    def check(self, statistics: Any) -> Iterable[Check]:
        quarter, rules = self._quarter_name(), thresholds()
        complaints = self.complaints()
        closed = {}
        for estate in sorted(self.estates):
            history = statistics.property_estate(estate)["history"]
            closed[estate] = next((q for q in history if q["quarter"] == quarter), {})
        truth, shown = {}, {}
        for estate, known in sorted(self.estates.items()):
            mine = complaints.get(estate, 0)
            truth[estate] = {
                "ballots": known.ballots, "satisfaction": _rounded(known.satisfaction),
                "complaints": mine,
                "level": verdict(known.ballots, known.satisfaction, mine, known.households, rules),
            }  # fmt: skip
            frozen = closed[estate]
            shown[estate] = {
                "ballots": (frozen.get("ballots") or {}).get("ballots"),
                "satisfaction": _rounded((frozen.get("ballots") or {}).get("satisfaction")),
                "complaints": frozen.get("complaints"), "level": frozen.get("level"),
            }  # fmt: skip
        for figure in ("ballots", "satisfaction", "complaints", "level"):
            yield Check(self.name, f"{figure}, estate by estate",
                        {e: t[figure] for e, t in truth.items()},
                        {e: s[figure] for e, s in shown.items()})  # fmt: skip
        # what the service answered the second tries (each act expects a 409 already)
        yield Check(self.name, "second ballots refused as already cast",
                    self.truth.counts["second_ballots"],
                    self.truth.counts["second_ballots_refused"])  # fmt: skip


def _counts(counts: Counter) -> dict[str, int]:
    return {answer: counts[answer] for answer in ANSWERS}


def _code(answer) -> str:
    """The error code of a refusal (`already_voted`, `quarter_closed`)."""
    return str((answer.json().get("error") or {}).get("code", answer.status_code))


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 6)
