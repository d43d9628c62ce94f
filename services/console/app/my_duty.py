"""A person's own duty (我的值班): their week of shifts, signing in and out, and their
calendar feed.

Everything is read and done with the person's own token: roster shows the person's week
across every rota they are on, whichever grids it serves (`GET /v1/people/<id>/duty-week`,
one request; their home grids do not limit it), signs the token's person in or out
(`POST /v1/duty/check-in|check-out`), and gives the feed URL to its owner only
(`GET /v1/people/<id>/rota-feed`, `.../reset`). A sign-in or sign-out first reads this
week again: it acts only on a rota of the person's own, and a sign-out only while they are
on duty (domain/my_duty.py). A form is kept by its key before roster is asked, so the same
form sent twice acts once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.console.apis import ApiError
from services.console.app.desk import Desk
from services.console.domain.my_duty import (
    duty_form_id,
    my_rotas,
    my_shifts,
    public_feed_url,
    rota_to_act_on,
    shift_times,
)
from services.console.domain.queue import NotVisible
from services.console.domain.rota import DAYS, monday_of
from services.console.store import ConsoleStore

ROSTER_ACTIONS = {"check_in": "check-in", "check_out": "check-out"}


def duty_page(desk: Desk, day: date, now: datetime, console_url: str) -> dict[str, Any]:
    """What the duty page shows for the week holding `day`: the person's shifts, their
    rotas with where they stand now (this week only: signing in is for now), the feed's
    URL through the console (`console_url`, where phones reach it); times in the zone
    roster keeps the community's weeks in."""
    monday = monday_of(day)
    person_id = desk.session.person_id
    week = desk.services.duty_week(desk.token, person_id, monday)
    zone = ZoneInfo(week["timezone"])
    this_week = monday == monday_of(now.astimezone(zone).date())
    return {
        "timezone": str(zone),
        "monday": monday,
        "sunday": monday + timedelta(days=DAYS - 1),
        "previous_week": monday - timedelta(days=DAYS),
        "next_week": monday + timedelta(days=DAYS),
        "this_week": this_week,
        "shifts": [(s, shift_times(s, zone)) for s in my_shifts(week)],
        "rotas": my_rotas(week) if this_week else [],
        "feed_url": public_feed_url(
            desk.services.rota_feed(desk.token, person_id), console_url, person_id
        ),
    }


def act_on_duty(
    desk: Desk,
    store: ConsoleStore,
    action: str,
    rota_id: str,
    form_key: str,
    now: datetime,
) -> bool:
    """Sign in or out of one of the person's rotas (any of them, whichever grids it
    serves), once per form: False when this form was sent before (it acted then).
    NotVisible for a rota not theirs; NotOnDuty for a sign-out from someone off duty;
    roster's refusal as it gave it."""
    rotas = my_rotas(desk.services.duty_week(desk.token, desk.session.person_id, None))
    if rota_to_act_on(rotas, rota_id, action) is None:
        raise NotVisible(f"No rota {rota_id} of yours.")
    act = lambda: desk.services.duty(desk.token, ROSTER_ACTIONS[action], rota_id)  # noqa: E731
    return once(store, desk, action, form_key, now, act)


def reset_feed(desk: Desk, store: ConsoleStore, form_key: str, now: datetime) -> bool:
    """A new feed URL (every older one stops working), once per form."""
    act = lambda: desk.services.rota_feed(desk.token, desk.session.person_id, reset=True)  # noqa: E731
    return once(store, desk, "feed_reset", form_key, now, act)


def once(
    store: ConsoleStore,
    desk: Desk,
    action: str,
    form_key: str,
    now: datetime,
    act: Callable[[], Any],
) -> bool:
    """Act for a form the first time it is sent; a form roster refused may be sent again."""
    form_id = duty_form_id(desk.session.person_id, form_key)
    if not store.claim_duty_form(form_id, action, now):
        return False
    try:
        act()
    except ApiError:
        store.release_duty_form(form_id)
        raise
    return True

