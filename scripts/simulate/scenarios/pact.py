"""The residents' pact (居民公约红黑榜): unit leaders record breaches and commendations of the
households of their units against the pact's articles, each with a photo; some
households answer within their window (on the residents' page, with the number the
register holds), staff decide after it (upheld or withdrawn; one nobody answered stands
unless withdrawn); once the quarter's acts are done staff publish its red and black
lists. Checked: the published lists hold exactly the households the simulator's
observations and decisions put on them at the moment of publishing, each line masked as
the rule says (building, unit, the room with its door starred, the count, the articles,
a surname only on a red line and only when the household gave it), and the statistics'
pact figures."""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache, partial
from random import Random
from typing import Any

import yaml
from PIL import Image

from lianxin import quarters
from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Agenda, Quarter
from scripts.stack import ROOT

ARTICLES = 12  # Jingxiang's pact (services/estate/data/pact.yaml)
SEEN = {
    "breach": ("楼道堆放纸箱和旧家具，堵住消防通道", "电动车停在楼道里充电", "高空抛下垃圾袋"),
    "commendation": ("主动清理楼道杂物", "帮独居老人买菜送药", "劝阻邻居楼道充电"),
}
SURNAMES = ("王", "李", "张", "刘", "陈", "杨")


@dataclass(frozen=True)
class Seen:
    """One observation as the service recorded it, and what followed."""

    id: str
    kind: str
    household: people.Household
    article: int
    quarter: str
    answer_until: datetime
    answered: bool = False
    surname: str = ""
    decision: str | None = None
    decided_at: datetime | None = None


def state_at(seen: Seen, moment: datetime) -> str:
    """What the observation is at `moment` (the pact's rule): decided, still open, waiting
    for staff (answered), or standing (nobody answered)."""
    if seen.decision is not None and seen.decided_at is not None and seen.decided_at <= moment:
        return seen.decision
    if moment < seen.answer_until:
        return "open"
    return "to_decide" if seen.answered else "stood"


def masked_room(room: str) -> str:
    """The room with its door on the floor starred (1201 → 12**, 302 → 3**)."""
    shown = max(0, len(room) - 2)
    return room[:shown] + "*" * (len(room) - shown)


def expected_lists(observations: Iterable[Seen], quarter: str, moment: datetime,
                   rules: dict[str, int]) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """The black and red lists the quarter's observations make at `moment`, line by line."""
    counting: dict[tuple[str, str], list[Seen]] = {}
    for seen in observations:
        if seen.quarter == quarter and state_at(seen, moment) in ("upheld", "stood"):
            counting.setdefault((seen.kind, seen.household.id), []).append(seen)
    lists: dict[str, list[dict[str, Any]]] = {"black": [], "red": []}
    names = people.area_names()
    for (kind, _), found in counting.items():
        black = kind == "breach"
        if len(found) < rules["black_min_breaches" if black else "red_min_commendations"]:
            continue
        household = found[0].household
        given = [seen.surname for seen in found if seen.surname]
        lists["black" if black else "red"].append({
            "building": names[household.building], "unit": names[household.unit],
            "room": masked_room(household.room), "count": len(found),
            "articles": sorted({seen.article for seen in found}),
            "surname": given[-1] if given and not black else "",
        })  # fmt: skip
    return {name: sorted(lines, key=_place) for name, lines in lists.items()}


@cache
def rules() -> dict[str, int]:
    """The community's thresholds, as the estate service reads them (data/pact.yaml)."""
    pact = yaml.safe_load((ROOT / "services/estate/data/pact.yaml").read_text("utf-8"))
    return {**pact["defaults"], **pact["communities"][COMMUNITY]["rules"]}


@cache
def photo() -> bytes:
    """A phone's photo of the stairwell, as small as a photo goes."""
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (128, 120, 110)).save(out, "JPEG", quality=70)
    return out.getvalue()


class Pact:
    name = "pact"

    def __init__(self, apis: Apis, rng: Random):
        self.apis = apis
        self.rng = rng
        self.truth = Truth()
        self.seen: dict[str, Seen] = {}
        self.published: dict[str, Any] | None = None
        self.expected: dict[str, list[dict[str, Any]]] | None = None
        self._lock = threading.Lock()

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.agenda = agenda
        self.quarter = quarter
        self.truth.window = (quarter.starts, quarter.ends)
        led = self._households_by_leader()
        leader_of = {h.id: leader for leader, households in led.items() for h in households}
        leaders = sorted(led)
        breaching: list[people.Household] = []  # seen breaching: some do it again
        for _ in range(volumes.PACT_OBSERVATIONS_PER_QUARTER):
            kind = "breach" if self.rng.random() < volumes.PACT_BREACH_SHARE else "commendation"
            if kind == "breach" and breaching and self.rng.random() < volumes.PACT_REPEAT_SHARE:
                household = self.rng.choice(breaching)
                leader = leader_of[household.id]  # their unit's leader sees it again
            else:
                leader = self.rng.choice(leaders)
                household = self.rng.choice(led[leader])
            if kind == "breach":
                breaching.append(household)
            day, hour = self.rng.randrange(volumes.QUARTER_DAYS), self.rng.uniform(8, 20)
            act = partial(self.record, people.people()[leader], household, kind,
                          self.rng.randint(1, ARTICLES), self.rng.getrandbits(32))  # fmt: skip
            if day < quarter.days:
                agenda.at(quarter.at(quarter.first + timedelta(days=day), hour), "pact observation",
                          act, arrival=True)  # fmt: skip
        agenda.at_end("pact list", self.publish)

    @staticmethod
    def _households_by_leader() -> dict[str, list[people.Household]]:
        leaders = {unit.code: unit.leader for unit in people.units() if unit.leader}
        led: dict[str, list[people.Household]] = {}
        for household in people.households():
            if household.unit in leaders and household.phones:
                led.setdefault(leaders[household.unit], []).append(household)
        return led

    def record(self, leader: people.Person, household: people.Household, kind: str,
               article: int, seed: int) -> None:  # fmt: skip
        rng = Random(seed)
        who = (leader.id, leader.role)
        uploaded = self.apis.json(
            "POST", "estate", "/v1/pact/photos", "app", expect=(201, 200), person=who,
            data={"community_id": COMMUNITY}, files=[("photo", ("seen.jpg", photo()))],
        )  # fmt: skip
        seen_at = self.agenda.clock.now() - timedelta(minutes=rng.uniform(5, 60))
        body = {"community_id": COMMUNITY, "household_id": household.id,
                "article_number": article, "kind": kind, "seen": rng.choice(SEEN[kind]),
                "seen_at": seen_at.isoformat(),
                "photos": [p["id"] for p in uploaded["photos"]]}  # fmt: skip
        made = self.apis.json("POST", "estate", "/v1/pact/observations", "app",
                              expect=(201,), person=who, idempotent=True, json=body)  # fmt: skip
        seen = Seen(made["id"], kind, household, article, made["quarter"],
                    datetime.fromisoformat(made["answer_until"]))  # fmt: skip
        with self._lock:
            self.seen[seen.id] = seen
        self.truth.count("breaches" if kind == "breach" else "commendations",
                         at=made["recorded_at"])  # fmt: skip
        recorded = datetime.fromisoformat(made["recorded_at"])
        window = seen.answer_until - recorded
        if rng.random() < volumes.PACT_ANSWER_SHARE:
            answers = recorded + window * rng.uniform(0.05, 0.7)
            surname = rng.choice(SURNAMES) if kind == "commendation" and rng.random() < (
                volumes.PACT_SURNAME_SHARE) else ""  # fmt: skip
            self.agenda.at(answers, "pact answer", partial(self.answer, seen.id, surname, rng))
        else:
            self._decide_later(seen.id, rng)

    def answer(self, observation_id: str, surname: str, rng: Random) -> None:
        seen = self.seen[observation_id]
        body = {
            "community_id": COMMUNITY,
            "phone": seen.household.phones[0],
            "text": "已经清理干净了，以后注意 (cleared, will mind it)",
            "surname": surname,
        }
        answered = self.apis.call(
            "POST", "estate", f"/v1/pact/resident/observations/{observation_id}/answer",
            "residents", expect=(200, 201, 409), json=body,
        )  # fmt: skip
        if answered.status_code == 409:  # the window closed while the agenda ran late
            self.truth.count("answers_too_late")
        else:
            self.truth.count("answered")
            with self._lock:
                self.seen[observation_id] = replace(seen, answered=True, surname=surname)
        self._decide_later(observation_id, rng)

    def _decide_later(self, observation_id: str, rng: Random) -> None:
        seen = self.seen[observation_id]
        if seen.answered:
            outcome = "upheld" if rng.random() < volumes.PACT_UPHELD_SHARE else "withdrawn"
        elif rng.random() < volumes.PACT_WITHDRAWN_UNANSWERED_SHARE:
            outcome = "withdrawn"
        else:
            return  # it stands
        when = seen.answer_until + timedelta(hours=rng.uniform(2, 48))
        self.agenda.at(when, "pact decision", partial(self.decide, observation_id, outcome))

    def decide(self, observation_id: str, outcome: str) -> None:
        decided = self.apis.call(
            "POST", "estate", f"/v1/pact/observations/{observation_id}/decision", "staff",
            expect=(200, 409), json={"outcome": outcome, "note": "经核实 (checked)"},
        )  # fmt: skip
        if decided.status_code == 409:  # published meanwhile (an agenda behind the clock)
            self.truth.count("decisions_refused")
            return
        at = decided.json()["decision"]["at"]
        self.truth.count(outcome, at=at)
        with self._lock:
            seen = self.seen[observation_id]
            self.seen[observation_id] = replace(
                seen, decision=outcome, decided_at=datetime.fromisoformat(at)
            )

    def publish(self) -> None:
        quarter = self._quarter_name()
        body = {"community_id": COMMUNITY, "quarter": quarter, "confirm": True}
        published = self.apis.json("POST", "estate", "/v1/pact/lists", "staff",
                                   expect=(200, 201), json=body)  # fmt: skip
        moment = datetime.fromisoformat(published["published_at"])
        with self._lock:
            self.expected = expected_lists(self.seen.values(), quarter, moment, rules())
        self.truth.count("lists", at=moment)
        self.truth.count("black_households", len(self.expected["black"]), at=moment)
        self.truth.count("red_households", len(self.expected["red"]), at=moment)

    def _quarter_name(self) -> str:
        """The calendar quarter the run's last day falls in, as estate names it."""
        return str(quarters.Quarter.of_day(self.quarter.last))

    def check(self, statistics: Any) -> Iterable[Check]:
        shown = statistics.pact_list(self._quarter_name())
        expected = self.expected or {"black": [], "red": []}
        for name in ("black", "red"):
            lines = sorted(shown.get(name, []), key=_place) if shown else None
            yield Check(self.name, f"{name} list, line by line", expected[name], lines)
        pact = statistics.summary()["pact"]
        for figure in ("breaches", "commendations", "upheld", "withdrawn", "lists",
                       "black_households", "red_households"):  # fmt: skip
            yield Check(self.name, f"pact {figure}", self.truth.counts[figure], pact[figure])
        states = Counter(state_at(seen, self.quarter.closing) for seen in self.seen.values())
        yield Check(self.name, "observations by state at the end", dict(states), None, exact=False)


def _place(line: dict[str, Any]) -> tuple:
    """Lines in the list's order (building, unit, room), ties by what else they show."""
    return (line["building"], line["unit"], line["room"], line["count"],
            tuple(line["articles"]), line.get("surname", ""))  # fmt: skip
