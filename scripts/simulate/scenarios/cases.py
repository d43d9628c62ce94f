"""The life of a reported case as the people around it live it: the volunteer offered it
accepts, declines or misses the offer; staff assign an escalated one to someone of its
team; the one who took it resolves it some hours later; staff check the work and close
it; the resident rates it through the channel that reported it. Shared by every scenario
that reports (residents' reports, hotline orders, disputes, care rounds that need help).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Truth
from scripts.simulate.timeline import Agenda

LOOK_AGAIN = timedelta(minutes=40)
LOOK_REAL_SECONDS = 0.4  # at least this long in real time: the pipeline's own latency
MAX_LOOKS = 40  # then the case is left as it is (counted as left open)
UNPLACED = "—"  # the category of a report cases could not place (staff triage it)
OPEN = ("reported", "triaged", "dispatched", "escalated", "reopened")


@dataclass
class Story:
    """One case followed by the simulator."""

    case_id: str
    reported_at: datetime
    key: str  # the key that reported it, which rates it
    truth: Truth  # every case's figures, together (CaseLives.truth)
    rng: Random  # its own: what its people decide does not depend on the other cases
    category: str | None = None  # what staff triage it as, if cases could not tell
    answered: frozenset[str] = frozenset()  # offers already answered (or missed)
    looks: int = 0
    on_closed: Callable[[dict], None] | None = None
    held: bool = False  # resolved only once released (a dispute: after the desk's outcome)
    holder: people.Person | None = None  # who accepted it, while it is held


class CaseLives:
    """Follows the cases reported through it and counts, in `truth`, every case's figures
    (the statistics count them community-wide); `agenda` is given when the quarter starts."""

    def __init__(self, apis: Apis):
        self.apis = apis
        self.truth = Truth()
        self.agenda: Agenda | None = None
        self.stories: dict[str, Story] = {}
        self.reported: list[tuple[dict, dict]] = []  # (what was sent, the case), every report

    def report(
        self,
        key: str,
        body: dict[str, Any],
        seed: int,
        path: str = "/v1/cases",
        **more: Any,
    ) -> dict:
        """Report (or send a hotline order) and follow the case, its people deciding by
        `seed`."""
        answer = self.apis.call("POST", "cases", path, key, expect=(201,), json=body)
        case = answer.json()
        self.reported.append((body, case))
        truth = self.truth
        at = case["reported_at"]
        category = case["category"] or UNPLACED
        truth.count("reported", at=at, channel=case["channel"], category=category)
        if case["state"] == "merged":
            truth.count("merged", at=at)
            return case
        reported = datetime.fromisoformat(case["reported_at"])
        story = self.stories[case["id"]] = Story(
            case["id"], reported, key, truth, Random(seed), **more
        )
        self._next(story, self._pause(story), self.look)
        return case

    # -- the offer ---------------------------------------------------------------------------

    def look(self, story: Story) -> None:
        """What the people around the case do about it now: answer an open offer (a
        volunteer's phone shows it), else whatever its state calls for."""
        story.looks += 1
        if story.looks > MAX_LOOKS:
            story.truth.count("left_open")
            return
        found = self.apis.call("GET", "roster", f"/v1/dispatches/{story.case_id}", "reader",
                               expect=(200, 404))  # fmt: skip
        dispatch = found.json() if found.status_code == 200 else {}
        offer = dispatch.get("offer")
        if offer and offer["id"] not in story.answered:
            self._answer(story, offer)
            return
        case = self._case(story.case_id)
        if case["state"] not in OPEN:
            return
        if case["state"] == "escalated":
            self._assign(story, case)
            return
        if case["state"] == "reported" and story.category and story.looks > 1:  # triage needed
            self._triage(story)
            return
        waits = dispatch.get("awaits_shift")
        again = self._pause(story)
        if waits:
            again = max(datetime.fromisoformat(waits) - self.agenda.clock.now(), again)
        self._next(story, again, self.look)

    def _pause(self, story: Story) -> timedelta:
        """Until the next look: some minutes, and never less than the pipeline's latency."""
        least = timedelta(seconds=LOOK_REAL_SECONDS * self.agenda.clock.speed)
        return max(LOOK_AGAIN, least) + timedelta(minutes=story.rng.uniform(0, 20))

    def _answer(self, story: Story, offer: dict) -> None:
        story.answered = story.answered | {offer["id"]}
        person = people.people()[offer["person_id"]]
        answer = draw(story.rng, volumes.OFFER_ANSWERS)
        if answer == "miss":
            story.truth.count("offers_missed")
            expires = datetime.fromisoformat(offer["expires_at"])
            wait = max(expires - self.agenda.clock.now(), timedelta()) + timedelta(minutes=10)
            self._next(story, wait, self.look)
            return
        body = (
            {"reason": "正在处理另一件事 (busy with another case)"} if answer == "decline" else {}
        )
        done = self._act(story, answer, "app", body, person)
        if done is None:  # the offer lapsed while the phone rang
            self._next(story, self._pause(story), self.look)
            return
        story.truth.count("accepted" if answer == "accept" else "declined", at=stamped(done))
        if answer == "accept":
            self._after_accepting(story, person)
        else:
            self._next(story, self._pause(story), self.look)

    def _triage(self, story: Story) -> None:
        """Staff triage what cases could not place (a hotline order's own wording)."""
        if self._act(story, "triage", "staff", {"category": story.category}) is not None:
            story.truth.count("triaged_by_staff")
        self._next(story, self._pause(story), self.look)

    def _assign(self, story: Story, case: dict) -> None:
        """Staff take an escalated case out again: someone of its team, chosen by hand."""
        crew = people.team(case["team"]) or people.with_role("grid_worker")
        person = story.rng.choice(crew)
        body = {"person_id": person.id, "display_name": person.name}
        assigned = self._act(story, "assign", "staff", body)
        if assigned is not None:
            story.truth.count("assigned", at=stamped(assigned))
            accepted = self._act(story, "accept", "app", {}, person)
            if accepted is not None:
                story.truth.count("accepted", at=stamped(accepted))
                self._after_accepting(story, person)
                return
        self._next(story, self._pause(story), self.look)

    # -- the work ----------------------------------------------------------------------------

    def release(self, case_id: str) -> None:
        """A held case may be resolved now (at once if someone holds it already)."""
        story = self.stories[case_id]
        story.held = False
        if story.holder is not None:
            self._after_accepting(story, story.holder)

    def _after_accepting(self, story: Story, person: people.Person) -> None:
        if story.held:
            story.holder = person
            return
        hours = story.rng.lognormvariate(
            math.log(volumes.RESOLVE_MEDIAN_HOURS), volumes.RESOLVE_SIGMA
        )
        self._next(story, timedelta(hours=min(hours, 96)), lambda s: self._resolve(s, person))

    def _resolve(self, story: Story, person: people.Person) -> None:
        body = {"resolution": "已到现场处理完毕 (done on site)", "volunteer_hours": 1.0}
        resolved = self._act(story, "resolve", "app", body, person)
        if resolved is None:
            return
        story.truth.count("resolved", at=stamped(resolved))
        took = datetime.fromisoformat(stamped(resolved)) - story.reported_at
        story.truth.sample("resolve_seconds", took.total_seconds())
        low, high = volumes.VERIFY_WITHIN_HOURS
        self._next(story, timedelta(hours=story.rng.uniform(low, high)), self._verify)

    def _verify(self, story: Story) -> None:
        body = {"note": "现场查看，已解决 (checked on site)"}
        closed = self._act(story, "verify", "staff", body)
        if closed is None:
            return
        story.truth.count("closed", at=stamped(closed))
        if story.on_closed:
            story.on_closed(closed)
        if story.rng.random() < volumes.RATED_SHARE:
            self._next(story, timedelta(hours=story.rng.uniform(1, 48)), self._rate)

    def _rate(self, story: Story) -> None:
        rating = draw(story.rng, volumes.RATINGS)
        rated = self._act(story, "rate", story.key, {"rating": rating})
        if rated is not None:
            story.truth.count("rated", at=stamped(rated))

    # -- plumbing ----------------------------------------------------------------------------

    def _act(
        self, story: Story, action: str, key: str, body: dict, person: people.Person | None = None
    ) -> dict | None:
        """The case after `action`, or None when it no longer fits the case's state (409:
        the services moved it on meanwhile, a deadline or another hand; 403 to a person:
        the offer went to someone else meanwhile), counted apart."""
        moved_on = (409, 403) if person else (409,)
        answer = self.apis.call(
            "POST", "cases", f"/v1/cases/{story.case_id}/{action}", key, expect=(200, *moved_on),
            person=(person.id, person.role) if person else None, json=body,
        )  # fmt: skip
        if answer.status_code in moved_on:
            story.truth.count(f"{action}_overtaken")
            return None
        return answer.json()

    def _case(self, case_id: str) -> dict:
        return self.apis.json("GET", "cases", f"/v1/cases/{case_id}", "reader")

    def _next(self, story: Story, after: timedelta, step: Callable[[Story], None]) -> None:
        name = getattr(step, "__name__", "step")
        self.agenda.after(after, f"case {story.case_id} {name}", lambda: step(story))


def stamped(case: dict) -> str:
    """The moment the service stamped on what was just done: the last step of the case's
    timeline, as the action's answer shows it."""
    return case["timeline"][-1]["at"]


def draw(rng: Random, shares: dict) -> Any:
    """One of `shares`' keys, by weight."""
    return rng.choices(list(shares), weights=list(shares.values()))[0]
