"""The quarter's red/black list of the residents' pact (居民公约红黑榜): who is on it, and
what of them is shown. Plain Python: no I/O.

The rule, per community (PactRules, data/pact.yaml, documented in docs/data-safety.md):
- only observations that count are listed: a breach upheld by staff, or one that stood
  because its window closed unanswered; a withdrawn one, one still open and one waiting
  for staff's decision are not;
- the black list holds the households with at least `black_min_breaches` counting
  breaches in the quarter, the red list those with at least `red_min_commendations`
  counting commendations;
- a line shows the building, the unit and the room masked (its last two characters,
  the door on the floor, starred: 1201 → 12**), the number of observations and the
  articles they were made against — never a name, a phone number, what was seen, the
  photos or the answer;
- a red line shows a surname only when the household gave it, agreeing to show it, in
  an answer of the quarter (the register keeps no names); a black line never does.
Publishing is a staff act that freezes the quarter: the list is written once, as it was
then, and the quarter takes no more observations or decisions (domain/pact.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lianxin.quarters import Quarter
from services.estate.domain.pact import COUNTING, Observation, state_of

MASKED_ROOM_CHARACTERS = 2  # the door on the floor


class AlreadyPublished(Exception):
    """The quarter's list was published already: it is published once."""

    def __init__(self, quarter: str):
        super().__init__(f"The list of {quarter} was published already.")
        self.quarter = quarter


class QuarterNotStarted(Exception):
    """A quarter is published once it has begun."""


@dataclass(frozen=True)
class PactRules:
    """A community's pact settings: the household's window to answer, and the list's
    thresholds."""

    answer_window: timedelta = timedelta(days=7)
    black_min_breaches: int = 2
    red_min_commendations: int = 1


@dataclass(frozen=True)
class ListLine:
    """One household on a list, as the public page shows it."""

    building: str
    unit: str
    room: str  # masked
    count: int
    articles: tuple[int, ...]  # the articles' numbers, in order
    surname: str = ""  # red list only, with consent


@dataclass(frozen=True)
class PactList:
    """A quarter's published list, frozen."""

    community_id: str
    quarter: str
    black: tuple[ListLine, ...]
    red: tuple[ListLine, ...]
    rules: PactRules
    articles: Mapping[int, str]  # number → title, as the lines' observations named them
    published_by: str
    published_at: datetime

    @property
    def id(self) -> str:
        return list_id(self.community_id, self.quarter)


def check_publishable(quarter: str, now: datetime, zone: str) -> None:
    """A quarter may be published from its first day (in the community's zone): the
    current one (what counts by then), or one past."""
    if now.astimezone(ZoneInfo(zone)).date() < Quarter.parse(quarter).first_day:
        raise QuarterNotStarted(f"{quarter} has not begun.")


def list_id(community_id: str, quarter: str) -> str:
    return f"{community_id}:{quarter}"


def masked_room(room: str) -> str:
    """The room with its door on the floor starred: 1201 → 12**, 302 → 3**, 5 → *."""
    shown = max(0, len(room) - MASKED_ROOM_CHARACTERS)
    return room[:shown] + "*" * (len(room) - shown)


def compiled(
    *,
    community_id: str,
    quarter: str,
    observations: Iterable[Observation],
    rules: PactRules,
    by: str,
    now: datetime,
) -> PactList:
    """The quarter's list from its observations (of this community and quarter only) by
    the rule above."""
    counting: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    titles: dict[int, str] = {}
    for seen in observations:
        if seen.community_id != community_id or seen.quarter != quarter:
            continue
        if state_of(seen, now) in COUNTING:
            counting[(seen.kind, seen.household_id)].append(seen)
    black, red = [], []
    for (kind, _household), found in counting.items():
        needed = rules.black_min_breaches if kind == "breach" else rules.red_min_commendations
        if len(found) < needed:
            continue
        given = [s.answer.surname for s in found if s.answer is not None and s.answer.surname]
        place = found[0].place
        line = ListLine(
            building=place.building_name,
            unit=place.unit_name,
            room=masked_room(place.room),
            count=len(found),
            articles=tuple(sorted({seen.article_number for seen in found})),
            surname=given[-1] if kind == "commendation" and given else "",
        )
        titles.update({seen.article_number: seen.article_title for seen in found})
        (black if kind == "breach" else red).append(line)
    return PactList(
        community_id=community_id,
        quarter=quarter,
        black=tuple(sorted(black, key=_order)),
        red=tuple(sorted(red, key=_order)),
        rules=rules,
        articles=dict(sorted(titles.items())),
        published_by=by,
        published_at=now,
    )


def _order(line: ListLine) -> tuple[str, str, str]:
    return (line.building, line.unit, line.room)
