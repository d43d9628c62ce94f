"""Use cases of the property company's evaluation (物业考评) for staff: the estates' companies,
the quarter's figures so far, paper ballots, closing a quarter, the actions its verdict
requires, and the community's thresholds.

Who may: the community's staff (a staff member's token through the console's key), or a
key of the community acting for no person — to read; changing needs staff or an admin key
(services/estate/app/register.py's rule, which the household register follows too).
Another community's estate is not found (404). Each change of an estate's evaluation is
made under its lease (lianxin.store.typed), so closing a quarter and a ballot cast at the
same moment never interleave: the ballot is in the frozen result or refused as late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from lianxin.access.actors import Actor
from lianxin.contracts.estate import ESTATE
from lianxin.quarters import Quarter
from services.estate.app.register import require_register
from services.estate.domain import property_evaluation as evaluation
from services.estate.domain.property_ballots import Tally
from services.estate.domain.property_evaluation import (
    Company,
    Evaluation,
    NoCompany,
    QuarterClosed,
    QuarterNotDue,
)
from services.estate.domain.property_records import CastBallot, evaluation_id
from services.estate.domain.property_verdict import (
    Action,
    Figures,
    Thresholds,
    verdict,
)
from services.estate.store import PropertyStore

COMMENTS_SHOWN = 20  # the latest comments of the quarter a staff page shows


@dataclass(frozen=True)
class PropertyRules:
    """The defaults every community starts from (data/property.yaml) and its zone."""

    thresholds: Thresholds
    zone: ZoneInfo

    @classmethod
    def from_file(cls, path: Path) -> PropertyRules:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(Thresholds.of(raw), ZoneInfo(str(raw["timezone"])))

    def now_quarter(self, now: datetime) -> str:
        return str(Quarter.of(now, self.zone))


@dataclass(frozen=True)
class Live:
    """An open quarter as it stands: the figures counted so far and the verdict the rule
    would give if it closed now (the preview; nothing is frozen)."""

    quarter: str
    figures: Figures
    level: str
    reasons: tuple[str, ...]
    comments: tuple[CastBallot, ...] = ()


@dataclass(frozen=True)
class EstateEvaluation:
    evaluation: Evaluation
    open: tuple[Live, ...]  # the quarters staff may still close: the last one, this one


def thresholds(store: PropertyStore, rules: PropertyRules, community_id: str) -> Thresholds:
    """The community's thresholds: its own where staff set them, else the defaults."""
    own = store.settings.get(community_id) or {}
    return Thresholds.of({**rules.thresholds.__dict__, **own})


def set_thresholds(
    store: PropertyStore,
    rules: PropertyRules,
    community_id: str,
    values: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Thresholds:
    """Staff set their community's thresholds; a closed quarter keeps those it was judged by."""
    require_register(actor, community_id, changing=True)
    chosen = Thresholds.of(values)
    with store.settings.change(community_id) as change:
        change.save({**chosen.__dict__, "by": _who(actor), "at": now})
    return chosen


def evaluations(
    store: PropertyStore, rules: PropertyRules, community_id: str, actor: Actor, now: datetime
) -> list[EstateEvaluation]:
    """Every estate of the community with an evaluation, with its open quarters."""
    require_register(actor, community_id)
    rule = thresholds(store, rules, community_id)
    return [
        EstateEvaluation(found, _open(store, rules, rule, found, now, comments=False))
        for found in store.evaluations_of(community_id)
    ]


def estate_evaluation(
    store: PropertyStore,
    rules: PropertyRules,
    community_id: str,
    estate_id: str,
    actor: Actor,
    now: datetime,
) -> EstateEvaluation:
    """One estate's evaluation, with its open quarters and their latest comments."""
    require_register(actor, community_id)
    found = store.evaluation(community_id, estate_id) or Evaluation(community_id, estate_id)
    rule = thresholds(store, rules, community_id)
    return EstateEvaluation(found, _open(store, rules, rule, found, now, comments=True))


def _open(
    store: PropertyStore,
    rules: PropertyRules,
    rule: Thresholds,
    found: Evaluation,
    now: datetime,
    comments: bool,
) -> tuple[Live, ...]:
    """The last quarter while staff have not closed it (its paper ballots are often
    counted after its end) and the evaluation ran in it, and this one: each as it stands."""
    this = Quarter.of(now, rules.zone)
    current = str(this)
    shown = []
    for quarter in (str(this.previous()), current):
        try:
            evaluation.open_quarter(found, quarter, current)
        except (NoCompany, QuarterClosed, QuarterNotDue):
            continue
        assert found.company is not None  # open_quarter refused an estate without one
        if quarter < rules.now_quarter(found.company.at) and not found.quarter(quarter).offline:
            continue  # before staff recorded the company: nothing was evaluated then
        cast = store.quarter_ballots(found.community_id, found.estate_id, quarter)
        figures = _figures(store, found, quarter, cast)
        today = now.astimezone(rules.zone).date()
        preview = verdict(figures, rule, found.standing, found.company.name, today)
        latest = sorted((c for c in cast if c.ballot.comment), key=lambda c: c.at, reverse=True)
        said = tuple(latest[:COMMENTS_SHOWN]) if comments else ()
        shown.append(Live(quarter, figures, preview.level, preview.reasons, said))
    return tuple(shown)


def _figures(
    store: PropertyStore, found: Evaluation, quarter: str, cast: list[CastBallot]
) -> Figures:
    community, estate = found.community_id, found.estate_id
    return Figures(
        Tally.of_ballots(ballot.ballot for ballot in cast),
        found.quarter(quarter).offline_tally,
        store.complaints_in(community, estate, quarter),
        store.households_in(community, estate),
    )


def set_company(
    store: PropertyStore,
    community_id: str,
    estate_id: str,
    name: str,
    starts_on: date,
    ends_on: date,
    actor: Actor,
    now: datetime,
) -> Evaluation:
    """The estate's company under contract; the one before goes on the record. The same
    company and contract sent again changes nothing."""
    require_register(actor, community_id, changing=True)
    company = Company.of(name, starts_on, ends_on, _who(actor), now)
    with store.evaluations.change(evaluation_id(community_id, estate_id)) as change:
        held = change.value or Evaluation(community_id, estate_id)
        if held.company is not None and _same_contract(held.company, company):
            return held
        changed = evaluation.with_company(held, company)
        change.save(changed)
    return changed


def _same_contract(one: Company, other: Company) -> bool:
    return (one.name, one.starts_on, one.ends_on) == (other.name, other.starts_on, other.ends_on)


def paper_ballots(
    store: PropertyStore,
    rules: PropertyRules,
    community_id: str,
    estate_id: str,
    quarter: str,
    tally: Tally,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> Evaluation:
    """An open quarter's paper ballots: entered once, or — with the reason for it — a
    correction, which reverses the standing entry and enters the new counts."""
    require_register(actor, community_id, changing=True)
    current = rules.now_quarter(now)
    who = _who(actor)

    def step(held: Evaluation) -> Evaluation:
        if reason is None:
            return evaluation.with_offline(held, quarter, current, tally, who, now)
        return evaluation.with_correction(held, quarter, current, tally, reason, who, now)

    return _change(store, community_id, estate_id, step)


def close_quarter(
    store: PropertyStore,
    rules: PropertyRules,
    community_id: str,
    estate_id: str,
    quarter: str,
    actor: Actor,
    now: datetime,
) -> Evaluation:
    """Staff close the quarter: its ballots and complaints counted under the estate's
    lease, judged, frozen, and told (`property.quarter_closed`). Closing it again is
    QuarterClosed (409)."""
    require_register(actor, community_id, changing=True)
    rule = thresholds(store, rules, community_id)
    current = rules.now_quarter(now)
    with store.evaluations.change(evaluation_id(community_id, estate_id)) as change:
        held = change.value or Evaluation(community_id, estate_id)
        evaluation.open_quarter(held, quarter, current)  # before counting anything
        cast = store.quarter_ballots(community_id, estate_id, quarter)
        figures = _figures(store, held, quarter, cast)
        done = evaluation.closed(
            held,
            quarter,
            current,
            figures.online,
            figures.complaints,
            figures.households,
            rule,
            _who(actor),
            now,
            now.astimezone(rules.zone).date(),
        )
        change.save(done, [_closed_event(done, quarter, now)])
    return done


def record_action(
    store: PropertyStore,
    rules: PropertyRules,
    community_id: str,
    estate_id: str,
    quarter: str,
    kind: str,
    text: str,
    due: date | None,
    actor: Actor,
    now: datetime,
) -> Evaluation:
    """What staff did about the latest closed quarter's verdict (ActionRefused, 409, when
    it is not what the verdict requires or is recorded already)."""
    require_register(actor, community_id, changing=True)
    action = Action(kind, _who(actor), now, text.strip(), due)
    today = now.astimezone(rules.zone).date()
    return _change(
        store,
        community_id,
        estate_id,
        lambda held: evaluation.with_action(held, quarter, action, today),
    )


def _change(store: PropertyStore, community_id: str, estate_id: str, step) -> Evaluation:
    with store.evaluations.change(evaluation_id(community_id, estate_id)) as change:
        changed = step(change.value or Evaluation(community_id, estate_id))
        change.save(changed)
    return changed


def _closed_event(done: Evaluation, quarter: str, now: datetime):
    """The frozen result as metrics gauges it: figures and verdict, no personal data."""
    result = done.quarter(quarter).result
    assert result is not None  # just closed
    figures = result.figures
    payload = {
        "community_id": done.community_id,
        "estate_id": done.estate_id,
        "quarter": quarter,
        "company": result.company,
        "ballots": figures.ballots.ballots,
        "online_ballots": figures.online.ballots,
        "offline_ballots": figures.offline.ballots,
        "satisfaction": figures.ballots.satisfaction,
        "complaints": figures.complaints,
        "households": figures.households,
        "level": result.level,
        "reasons": list(result.reasons),
    }
    return ESTATE.new_event(
        "property.quarter_closed",
        payload,
        correlation_id=f"property:{evaluation_id(done.community_id, done.estate_id)}:{quarter}",
        at=now,
        event_id=None,
    )


def _who(actor: Actor) -> str:
    """Who did it, as the record names them: the person, or the key acting for none."""
    return actor.person_id or f"key:{actor.key_name}"
