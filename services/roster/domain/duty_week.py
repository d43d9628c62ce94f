"""A person's week of duty (`GET /v1/people/{id}/duty-week`): their shifts across every
rota they are on, whichever grids those rotas serve, where they stand in each rota now,
and who may read it.

A person is on a rota when they are in its crews or have an override of it (a cover,
extra duty, a sign-in): a volunteer may serve the rota of a neighbouring grid, or a
team's rota shared by several grids, and their home grids say nothing about it. Their
shifts are those scheduled for them and those of others they cover; a sign-in at any
time makes no shift theirs (it is duty of its own, shown as where they stand now).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.roster.domain import rota as rotas
from services.roster.domain.intervals import Interval, intersect
from services.roster.domain.rota import Duty, Override, Rota

TAKING = ("cover", "extra")  # overrides that give someone a shift that was not theirs
GRID_ROLES = ("grid_worker", "grid_leader")


@dataclass(frozen=True)
class PersonShift:
    """One of the person's shifts in a rota."""

    rota_id: str
    start: datetime
    end: datetime
    on_duty: bool  # their duty touches it: not on leave, not covered by someone else
    under_way: bool  # it holds `now`
    covering: bool  # someone else's shift, theirs by a cover or extra duty


@dataclass(frozen=True)
class Standing:
    """Where the person stands in a rota now."""

    checked_in_at: datetime | None  # the start of their open sign-in, if any
    on_duty_now: bool


def is_on(rota: Rota, overrides: Iterable[Override], person_id: str) -> bool:
    """In the rota's crews, or named by one of its overrides."""
    return person_id in rota.members or any(o.person_id == person_id for o in overrides)


def person_duty(
    rota: Rota,
    window: Interval,
    overrides: Sequence[Override],
    person_id: str,
    leave: Sequence[Interval],
) -> Duty:
    """The rota's duty over the window as far as the person goes: only their own leave
    changes their duty (someone on leave covers nobody; a colleague's leave does not
    move a shift to them), so no other person's record is needed."""
    return rotas.duty(rota, window, overrides, {person_id: leave})


def shifts_of(
    duty: Duty, overrides: Iterable[Override], person_id: str, now: datetime
) -> Iterator[PersonShift]:
    """The person's shifts of the duty's window, in time order: scheduled for them, or
    someone else's they are on duty in by a cover or extra duty of theirs."""
    held = duty.intervals.get(person_id, ())
    taken = [(o.start, o.end) for o in overrides if o.person_id == person_id and o.kind in TAKING]
    for shift in duty.rota.shifts(*duty.window):
        on_duty = bool(intersect(held, (shift.start, shift.end)))
        scheduled = person_id in shift.people
        covering = (
            on_duty and not scheduled and any(s < shift.end and e > shift.start for s, e in taken)
        )
        if scheduled or covering:
            yield PersonShift(
                duty.rota.id, shift.start, shift.end, on_duty, shift.start <= now < shift.end,
                covering,
            )  # fmt: skip


def standing(
    rota: Rota,
    overrides: Sequence[Override],
    person_id: str,
    leave: Sequence[Interval],
    now: datetime,
) -> Standing:
    """Their open sign-in and whether they are on duty now, as roster applies overrides
    and leave (the rule who-is-on-duty and dispatch use)."""
    signed = [
        o.start
        for o in overrides
        if o.kind == "check_in" and o.person_id == person_id and o.start <= now < o.end
    ]
    on_duty = person_id in rotas.on_duty(rota, now, overrides, {person_id: leave})
    return Standing(min(signed) if signed else None, on_duty)


def may_read(
    actor_person_id: str | None,
    actor_role: str | None,
    reader: Mapping[str, Any] | None,
    person_id: str,
    grids: Iterable[str],
) -> bool:
    """Whether a credential of the person's community may read their duty week: their own;
    staff's; a grid worker's or leader's (`reader`: their person record) when one of the
    person's home grids or rotas' grids is theirs; a key acting for no person (an
    integration of the community). A volunteer or unit leader reads only their own."""
    if actor_person_id is None or actor_person_id == person_id or actor_role == "staff":
        return True
    if actor_role not in GRID_ROLES or reader is None:
        return False
    return bool(set(reader.get("home_grids") or ()) & set(grids))
