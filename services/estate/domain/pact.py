"""The residents' pact (居民公约): its articles per estate, each versioned, and the
observations recorded against them. Plain Python: no I/O.

A pact is an estate's numbered articles. Staff edit an article by writing a new version of
it; older versions are kept, because an observation names the article *and the version*
it was made under, so that a later edit never changes what a household was told it
breached. An observation is a breach (for the black list) or a commendation (for the red
list), seen at a household of the estate register on a given time, recorded by a unit
leader (only for a household of their own units) or by staff. The household may answer it
from the resident page within the community's window (`answer_window`); after it,
staff decide — upheld or withdrawn — and an observation nobody answered stands (counts as
upheld) unless staff withdraw it. The quarter it counts in is the one its `seen_at` falls
in, in the community's zone; a quarter once published takes no more observations and no
more decisions (domain/pact_list.py freezes it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lianxin.quarters import Quarter

KINDS = ("breach", "commendation")  # black list, red list
DECISIONS = ("upheld", "withdrawn")
# what an observation is now (state_of): its window runs; answered, waiting for staff;
# decided by staff; or stood: its window closed with no answer and no decision
STATES = ("open", "to_decide", "upheld", "withdrawn", "stood")
COUNTING = ("upheld", "stood")  # the states a published list counts
MAX_ARTICLES = 30
MAX_PHOTOS = 4
RECORDER_ROLES = ("unit_leader", "staff")


class PactNotFound(Exception):
    """No such estate, article or observation, or one of another community: 404."""


class ArticleUnchanged(Exception):
    """The edit says what the current version says: no new version."""


class WindowOpen(Exception):
    """Staff decide only once the household's window to answer has closed."""

    def __init__(self, until: datetime):
        super().__init__(f"The household may answer until {until.isoformat()}.")
        self.until = until


class WindowClosed(Exception):
    """The household's window to answer has closed: the answer is refused."""

    def __init__(self, until: datetime):
        super().__init__(f"The window to answer closed at {until.isoformat()}.")
        self.until = until


class AlreadyAnswered(Exception):
    """A household answers an observation once."""


class AlreadyDecided(Exception):
    """An observation is decided once; another decision is a 409."""

    def __init__(self, decision: str):
        super().__init__(f"This observation was already decided: {decision}.")
        self.decision = decision


class QuarterPublished(Exception):
    """The quarter's list is published: its observations are frozen."""

    def __init__(self, quarter: str):
        super().__init__(f"The list of {quarter} is published: it takes no more changes.")
        self.quarter = quarter


class SeenInFuture(Exception):
    """An observation is of something seen, so not later than its recording."""


@dataclass(frozen=True)
class Article:
    """One version of one article: its number in the pact, its title and text, and from
    when it holds."""

    number: int
    version: int
    title: str
    text: str
    since: datetime
    edited_by: str


@dataclass(frozen=True)
class Pact:
    """An estate's pact: every version of every article, in the order written."""

    estate_id: str
    community_id: str
    versions: tuple[Article, ...]

    def current(self) -> list[Article]:
        """The latest version of each article, by number."""
        latest: dict[int, Article] = {}
        for article in self.versions:
            held = latest.get(article.number)
            if held is None or article.version > held.version:
                latest[article.number] = article
        return [latest[number] for number in sorted(latest)]

    def article(self, number: int, version: int | None = None) -> Article:
        """The article's given version, or its current one; PactNotFound if none."""
        found = [a for a in self.versions if a.number == number]
        if version is not None:
            found = [a for a in found if a.version == version]
        if not found:
            raise PactNotFound(f"No article {number} in the pact of {self.estate_id}.")
        return max(found, key=lambda a: a.version)


def edited(pact: Pact, number: int, title: str, text: str, by: str, now: datetime) -> Pact:
    """The pact with a new version of article `number` (a new article when the number is
    the next one free); ArticleUnchanged when it says what the current version says."""
    numbers = {a.number for a in pact.versions}
    if number not in numbers and number != max(numbers, default=0) + 1:
        raise PactNotFound(f"Article {number} would leave a gap: add the next number.")
    if number not in numbers and len(numbers) >= MAX_ARTICLES:
        raise PactNotFound(f"A pact holds at most {MAX_ARTICLES} articles.")
    version = 1
    if number in numbers:
        current = pact.article(number)
        if (current.title, current.text) == (title, text):
            raise ArticleUnchanged(f"Article {number} already says this.")
        version = current.version + 1
    article = Article(number, version, title, text, now, by)
    return replace(pact, versions=(*pact.versions, article))


@dataclass(frozen=True)
class Answer:
    """The household's answer: what it says, when, and (on a commendation) the surname
    the household agrees to show on the red list — "" for none: the register keeps no
    names, so the surname is the household's own word, given with its consent."""

    text: str
    at: datetime
    surname: str = ""


@dataclass(frozen=True)
class Decision:
    outcome: str  # one of DECISIONS
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Place:
    """Where the household lives, as the register names it (and the list shows it
    masked): its building, unit and room."""

    household_id: str
    building_id: str
    building_name: str
    unit_id: str
    unit_name: str
    room: str


@dataclass(frozen=True)
class Observation:
    id: str
    community_id: str
    estate_id: str
    place: Place
    kind: str  # one of KINDS
    article_number: int
    article_version: int
    article_title: str  # as the version named it, for the household and the list
    seen: str  # what was seen
    seen_at: datetime
    photos: tuple[str, ...]
    recorded_by: str
    recorded_role: str
    recorded_at: datetime
    answer_until: datetime
    quarter: str
    answer: Answer | None = None
    decision: Decision | None = None
    version: int = 1

    @property
    def household_id(self) -> str:
        return self.place.household_id


def observed(
    *,
    observation_id: str,
    pact: Pact,
    article_number: int,
    place: Place,
    kind: str,
    seen: str,
    seen_at: datetime,
    photos: tuple[str, ...],
    by: str,
    role: str,
    now: datetime,
    answer_window: timedelta,
    zone: str,
    published: frozenset[str],
) -> Observation:
    """A new observation against the article's current version; the household may answer
    until `answer_window` after its recording. Refused when it is seen later than now or in
    a quarter already published (`published`)."""
    if seen_at > now:
        raise SeenInFuture("What was seen cannot be later than now.")
    quarter = str(Quarter.of(seen_at, ZoneInfo(zone)))
    if quarter in published:
        raise QuarterPublished(quarter)
    article = pact.article(article_number)
    return Observation(
        id=observation_id,
        community_id=pact.community_id,
        estate_id=pact.estate_id,
        place=place,
        kind=kind,
        article_number=article.number,
        article_version=article.version,
        article_title=article.title,
        seen=seen,
        seen_at=seen_at,
        photos=photos,
        recorded_by=by,
        recorded_role=role,
        recorded_at=now,
        answer_until=now + answer_window,
        quarter=quarter,
    )


def state_of(observation: Observation, now: datetime) -> str:
    """What the observation is now (one of STATES)."""
    if observation.decision is not None:
        return observation.decision.outcome
    if now < observation.answer_until:
        return "open"
    return "to_decide" if observation.answer is not None else "stood"


def answered(observation: Observation, text: str, surname: str, now: datetime) -> Observation:
    """The household's one answer, within its window; a surname is kept only on a
    commendation. A repeat saying the same is the stored answer (a retried form);
    anything else is AlreadyAnswered."""
    asked = Answer(text, now, surname if observation.kind == "commendation" else "")
    if observation.answer is not None:
        stored = observation.answer
        if (stored.text, stored.surname) == (asked.text, asked.surname):
            return observation
        raise AlreadyAnswered("This observation was answered already.")
    if now >= observation.answer_until:
        raise WindowClosed(observation.answer_until)
    return replace(observation, answer=asked, version=observation.version + 1)


def decided(
    observation: Observation,
    outcome: str,
    note: str,
    by: str,
    now: datetime,
    published: frozenset[str],
) -> Observation:
    """Staff's decision, once the window has closed and while the quarter is not
    published. The same decision again is the stored one (a retried form)."""
    if observation.quarter in published:
        raise QuarterPublished(observation.quarter)
    if observation.decision is not None:
        if observation.decision.outcome == outcome:
            return observation
        raise AlreadyDecided(observation.decision.outcome)
    if now < observation.answer_until:
        raise WindowOpen(observation.answer_until)
    decision = Decision(outcome, note, by, now)
    return replace(observation, decision=decision, version=observation.version + 1)
