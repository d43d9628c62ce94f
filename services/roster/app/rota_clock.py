"""Each rota's clock (rota_clocks/<rota>): shift reminders, duty counts, no-shows.

The clock is a chain of deadlines: each firing does what is due at that instant and
schedules the next interesting one (a shift about to start, someone coming on or
going off duty, a sign-in now overdue). A change to the rota, its overrides or
someone's leave starts a new chain (duty.restart_clock: a new generation); a
deadline of an older generation finds itself superseded and does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lianxin.bus.deadlines import Deadline
from services.roster.app.duty import (
    EPSILON,
    ROTA_TICK,
    duty_of,
    new_id,
    overrides_in,
    save_overrides,
    who_is_on_duty,
)
from services.roster.domain import rota as rotas
from services.roster.domain.rota import Override, Rota
from services.roster.events import EMITS
from services.roster.store import RosterStore, rota_from_document

LONGEST_TICK = timedelta(hours=6)  # the chain looks in at least this often


def on_rota_tick(store: RosterStore, deadline: Deadline, now: datetime) -> None:
    rota_id = deadline.aggregate_id
    with store.change("rota_clocks", rota_id) as change:
        clock = change.value or {}
        if deadline.payload.get("generation") != clock.get("generation"):
            return  # superseded by a newer chain
        stored = store.find("rotas", rota_id)
        if stored is None:
            return  # the rota is gone; so is its chain
        rota = rota_from_document(stored)
        policy = store.policy(rota.community_id)
        lead, grace = policy.shift_reminder, policy.no_show_after
        events: list = []
        if rota.check_in_required:
            _record_no_shows(store, rota, clock.get("checked_until"), now - grace, now)
        found = duty_of(store, rota, (now - EPSILON, now + timedelta(days=2)))
        reminded = clock.get("reminded_until") or now
        events.extend(shift_reminders(rota, found, reminded, now + lead, now))
        counts = dict(clock.get("counts") or {})
        for grid in rota.grids:
            count = _on_duty_count(store, grid, rota.team, now)
            if counts.get(grid) != count:
                counts[grid] = count
                events.append(duty_changed(rota, grid, count, now))
        due = _next_tick(rota, found, now, lead, grace)
        events.append(Deadline(ROTA_TICK, rota_id, due, {"generation": clock["generation"]}))
        change.save(
            {
                **clock,
                "reminded_until": max(reminded, now + lead),
                "checked_until": now - grace,
                "counts": counts,
                "next_at": due,
            },
            events,
        )


def shift_reminders(rota: Rota, found: rotas.Duty, after: datetime, until: datetime, now: datetime):
    """shift.starting for everyone coming on duty in (after, until]."""
    events = []
    for person, spans in found.intervals.items():
        for start, end in spans:
            if after < start <= until:
                for grid in rota.grids:
                    events.append(
                        EMITS.new_event(
                            "shift.starting",
                            {
                                "person_id": person,
                                "community_id": rota.community_id,
                                "grid_id": grid,
                                "team": rota.team,
                                "starts_at": start,
                                "ends_at": end,
                            },
                            correlation_id=f"rota-{rota.id}",
                            at=now,
                        )
                    )
    return events


def _on_duty_count(store: RosterStore, grid: str, team: str, at: datetime) -> int:
    return len(who_is_on_duty(store, grid, team, at))


def duty_changed(rota: Rota, grid: str, count: int, now: datetime):
    return EMITS.new_event(
        "duty.changed",
        {
            "community_id": rota.community_id,
            "grid_id": grid,
            "team": rota.team,
            "on_duty": count,
            "at": now,
        },
        correlation_id=f"rota-{rota.id}",
        at=now,
    )


def _record_no_shows(
    store: RosterStore, rota: Rota, since: datetime | None, until: datetime, now: datetime
) -> None:
    """Shifts that needed a sign-in and started in (since, until] without one: a no-show
    is recorded once (its `_id` says which shift) and takes the person off that shift."""
    if since is None or since >= until:
        return
    overrides = store.overrides_of(rota.id)
    missing = []
    for shift in rota.shifts(since, until + EPSILON):
        if not since < shift.start <= until:
            continue
        expected = rotas.duty(rota, (shift.start, shift.start + EPSILON), overrides).at(shift.start)
        for person in expected:
            signed = any(
                o.kind == "check_in"
                and o.person_id == person
                and o.start <= until
                and o.end > shift.start
                for o in overrides
            )
            if not signed:
                missing.append((person, shift))
    if not missing:
        return
    with store.overrides.change(rota.id) as change:
        current = overrides_in(change.value)
        for person, shift in missing:
            store.insert(
                "no_shows",
                {
                    "_id": f"{rota.id}:{person}:{shift.start.isoformat()}",
                    "rota_id": rota.id,
                    "person_id": person,
                    "start": shift.start,
                    "end": shift.end,
                    "recorded_at": now,
                },
            )
            current.append(Override(new_id(), "no_show", person, shift.start, shift.end))
        save_overrides(change, current, now)


def _next_tick(
    rota: Rota, found: rotas.Duty, now: datetime, lead: timedelta, grace: timedelta
) -> datetime:
    """The next instant worth a look: someone coming on or off duty, a reminder due, a
    sign-in becoming overdue; and at least every LONGEST_TICK."""
    candidates = [now + LONGEST_TICK]
    for edge in rotas.shift_boundaries(found):
        candidates.extend(t for t in (edge, edge - lead, edge + grace) if t > now)
    if rota.check_in_required:
        candidates.extend(
            shift.start + grace
            for shift in rota.shifts(now, now + LONGEST_TICK)
            if shift.start + grace > now
        )
    return min(candidates)
