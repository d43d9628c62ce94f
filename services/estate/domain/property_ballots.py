"""The property company's ballots (物业考评): what a household answers, how answers add up,
and the paper ballots staff count. Plain Python: no I/O.

A ballot answers the overall question — satisfied (满意), basically satisfied (基本满意),
dissatisfied (不满意) — and the same three for each aspect (cleaning, security, repairs,
green space), with an optional comment. Online, a household casts one ballot per estate
and quarter: its id is made of the household, so the store's unique insert is the whole
guarantee, whichever phone of the household votes. A cast ballot is final, like a paper
ballot in the box: another member of the household cannot overwrite it, nor can the
company's staff ask a resident to "change" a vote once counted.

Paper ballots are entered as counts per answer (a Tally), once per estate and quarter; a
correction reverses the standing entry (its counts negated, with a reason) and enters
the corrected counts, so what was entered first stays on the record.

The satisfaction rate is the share of ballots answering satisfied or basically
satisfied — the rate property-service surveys in China report (满意率).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from lianxin.contracts.estate import PROPERTY_ASPECTS, PROPERTY_SATISFACTION

SATISFACTION = PROPERTY_SATISFACTION
CONTENT = ("satisfied", "basically_satisfied")  # the answers the satisfaction rate counts
ASPECTS = PROPERTY_ASPECTS
MAX_COMMENT = 500
MAX_BALLOTS = 100_000  # no estate has more households; a typo of an extra digit is caught
MAX_REASON = 300


class BallotRefused(Exception):
    """The ballot's or the count's fields that are wrong, each with what is wrong."""

    def __init__(self, fields: Mapping[str, str]):
        super().__init__(", ".join(f"{name}: {why}" for name, why in fields.items()))
        self.fields = dict(fields)

    def details(self) -> dict[str, dict[str, list[str]]]:
        """As a 400 names its fields."""
        return {"fields": {name: [why] for name, why in self.fields.items()}}


class AlreadyVoted(Exception):
    """The household cast its ballot this quarter (from this phone or another)."""

    def __init__(self, at: datetime):
        super().__init__(f"This household voted on {at.isoformat()}.")
        self.at = at

    def details(self) -> dict[str, str]:
        return {"voted_at": self.at.isoformat()}


class OfflineAlreadyEntered(Exception):
    """The quarter's paper ballots stand entered: a correction, with its reason, changes them."""


class NothingToCorrect(Exception):
    """A correction of paper ballots that were never entered."""


@dataclass(frozen=True)
class Ballot:
    """One household's answers."""

    overall: str
    aspects: Mapping[str, str]
    comment: str = ""

    @classmethod
    def of(cls, overall: str, aspects: Mapping[str, str], comment: str = "") -> Ballot:
        """The ballot, or BallotRefused naming every field that is wrong."""
        wrong = {}
        if overall not in SATISFACTION:
            wrong["overall"] = "one of " + ", ".join(SATISFACTION)
        for aspect in ASPECTS:
            if aspects.get(aspect) not in SATISFACTION:
                wrong[aspect] = "one of " + ", ".join(SATISFACTION)
        if set(aspects) - set(ASPECTS):
            wrong["aspects"] = "only " + ", ".join(ASPECTS)
        if len(comment) > MAX_COMMENT:
            wrong["comment"] = f"at most {MAX_COMMENT} characters"
        if wrong:
            raise BallotRefused(wrong)
        return cls(overall, {aspect: aspects[aspect] for aspect in ASPECTS}, comment.strip())


def _zeros() -> dict[str, int]:
    return dict.fromkeys(SATISFACTION, 0)


@dataclass(frozen=True)
class Tally:
    """Ballots counted per answer: the overall question's answers add up to the ballots;
    an aspect's may add up to fewer (a paper ballot may leave an aspect blank)."""

    overall: Mapping[str, int] = field(default_factory=_zeros)
    aspects: Mapping[str, Mapping[str, int]] = field(
        default_factory=lambda: {aspect: _zeros() for aspect in ASPECTS}
    )

    @property
    def ballots(self) -> int:
        return sum(self.overall.values())

    @property
    def satisfaction(self) -> float | None:
        """The share of ballots content with the company; None with no ballot."""
        return _share(self.overall)

    def aspect_satisfaction(self, aspect: str) -> float | None:
        return _share(self.aspects[aspect])

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            {answer: self.overall[answer] + other.overall[answer] for answer in SATISFACTION},
            {
                aspect: {
                    answer: self.aspects[aspect][answer] + other.aspects[aspect][answer]
                    for answer in SATISFACTION
                }
                for aspect in ASPECTS
            },
        )

    def negated(self) -> Tally:
        """The counts a reversing entry carries."""
        return Tally(
            {answer: -count for answer, count in self.overall.items()},
            {
                aspect: {answer: -count for answer, count in counts.items()}
                for aspect, counts in self.aspects.items()
            },
        )

    @classmethod
    def of_ballots(cls, ballots: Iterable[Ballot]) -> Tally:
        overall = _zeros()
        aspects = {aspect: _zeros() for aspect in ASPECTS}
        for ballot in ballots:
            overall[ballot.overall] += 1
            for aspect, answer in ballot.aspects.items():
                aspects[aspect][answer] += 1
        return cls(overall, aspects)

    @classmethod
    def counted(cls, overall: Mapping[str, int], aspects: Mapping[str, Mapping[str, int]]) -> Tally:
        """Paper ballots as staff counted them, or BallotRefused: every count a whole
        number from 0, at least one ballot, and no aspect answered on more ballots than
        were cast."""
        wrong: dict[str, str] = {}
        for answer in SATISFACTION:
            if not _count_ok(overall.get(answer)):
                wrong[f"overall.{answer}"] = f"a whole number from 0 to {MAX_BALLOTS}"
        for aspect in ASPECTS:
            for answer in SATISFACTION:
                if not _count_ok(aspects.get(aspect, {}).get(answer)):
                    wrong[f"{aspect}.{answer}"] = f"a whole number from 0 to {MAX_BALLOTS}"
        if wrong:
            raise BallotRefused(wrong)
        tally = cls(
            {answer: overall[answer] for answer in SATISFACTION},
            {aspect: {a: aspects[aspect][a] for a in SATISFACTION} for aspect in ASPECTS},
        )
        if tally.ballots == 0:
            raise BallotRefused({"overall": "at least one ballot"})
        for aspect in ASPECTS:
            if sum(tally.aspects[aspect].values()) > tally.ballots:
                wrong[aspect] = "no more answers than ballots"
        if wrong:
            raise BallotRefused(wrong)
        return tally


def _count_ok(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_BALLOTS


def _share(counts: Mapping[str, int]) -> float | None:
    total = sum(counts.values())
    return sum(counts[answer] for answer in CONTENT) / total if total else None


def vote_id(community_id: str, estate_id: str, quarter: str, household_id: str) -> str:
    """A household's one ballot of the quarter in the estate: the id its unique insert takes."""
    return f"{community_id}:{estate_id}:{quarter}:{household_id}"


# -- paper ballots ------------------------------------------------------------------------


@dataclass(frozen=True)
class OfflineEntry:
    """One line of the quarter's paper-ballot record: an entry, or the reversal of one."""

    seq: int
    tally: Tally
    by: str
    at: datetime
    reverses: int | None = None  # the entry this one reverses
    reason: str = ""  # why a correction was made (on the reversal)


def standing_entry(entries: Iterable[OfflineEntry]) -> OfflineEntry | None:
    """The entry that counts now: the latest one not reversed."""
    entries = list(entries)
    reversed_ = {entry.reverses for entry in entries if entry.reverses is not None}
    standing = [e for e in entries if e.reverses is None and e.seq not in reversed_]
    return standing[-1] if standing else None


def offline_total(entries: Iterable[OfflineEntry]) -> Tally:
    """What the record adds up to: entries and reversals alike."""
    total = Tally()
    for entry in entries:
        total = total + entry.tally
    return total


def enter_offline(
    entries: tuple[OfflineEntry, ...], tally: Tally, by: str, at: datetime
) -> tuple[OfflineEntry, ...]:
    """The quarter's paper ballots entered: once (OfflineAlreadyEntered after)."""
    if standing_entry(entries) is not None:
        raise OfflineAlreadyEntered()
    return (*entries, OfflineEntry(len(entries) + 1, tally, by, at))


def correct_offline(
    entries: tuple[OfflineEntry, ...], tally: Tally, reason: str, by: str, at: datetime
) -> tuple[OfflineEntry, ...]:
    """The standing entry reversed, with the reason, and the corrected counts entered."""
    standing = standing_entry(entries)
    if standing is None:
        raise NothingToCorrect()
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise BallotRefused({"reason": f"1 to {MAX_REASON} characters"})
    seq = len(entries) + 1
    reversal = OfflineEntry(seq, standing.tally.negated(), by, at, standing.seq, reason)
    return (*entries, reversal, replace(reversal, seq=seq + 1, tally=tally, reverses=None))
