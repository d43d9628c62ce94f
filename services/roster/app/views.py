"""What the roster API shows: read models with personal data masked (but to admin
keys), each limited to the communities the key may see (another community's
data is "not found", never "forbidden")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from lianxin.access.actors import Actor, Forbidden
from lianxin.clock import utc_now
from lianxin.privacy import mask_name, mask_phone
from lianxin.spreadsheets import to_csv
from services.roster.app import hours
from services.roster.app.duty import PersonNotFound, duty_of, load_of
from services.roster.app.registry import rebuild_people_listing
from services.roster.domain import dispatch as dispatching
from services.roster.domain import ledger
from services.roster.domain import rota as rotas
from services.roster.domain.intervals import Interval
from services.roster.store import RosterStore, rota_from_document


class NotFound(Exception):
    """Unknown, or in a community this key may not see."""


def _visible(actor: Actor, community_id: str | None, what: str) -> None:
    if community_id is None or not actor.sees(community_id):
        raise NotFound(f"No {what}.")


def area(store: RosterStore, code: str, actor: Actor) -> dict[str, Any]:
    found = store.find("areas", code)
    if found is None:
        raise NotFound(f"No area {code}.")
    if found["kind"] != "subdistrict":
        _visible(actor, found.get("community_id"), f"area {code}")
    return found


def areas(store: RosterStore, query: dict[str, Any], actor: Actor) -> dict[str, Any]:
    _visible(actor, query["community_id"], f"community {query['community_id']}")
    found = store.areas(query["community_id"], query.get("kind"), query.get("after"))
    return {"areas": found, "next_after": found[-1]["_id"] if found else None}


def person(store: RosterStore, person_id: str, actor: Actor) -> dict[str, Any]:
    found = store.find("people", person_id)
    if found is None:
        raise PersonNotFound(person_id)
    _visible(actor, found["community_id"], f"person {person_id}")
    shown = {**found, "display_name": found["name"]}
    if not actor.is_admin:
        shown["display_name"] = mask_name(found["name"])
        shown["phone"] = mask_phone(found.get("phone") or "") or None
        shown["contacts"] = [
            {**contact, "address": _masked_address(contact["address"])}
            for contact in found.get("contacts", ())
        ]
    return shown


def people(store: RosterStore, query: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A page of the community's people, by id, with those the filters match (role, home
    grid, team, `q` in the id or the name); names and phone numbers masked but to admin
    keys. Read from the community's listing document (one read by `_id`), built here once
    when no import has built it yet."""
    community = query["community_id"]
    _visible(actor, community, f"community {community}")
    entries = store.people_listing(community)
    if entries is None:
        entries = rebuild_people_listing(store, community)
    found = [entry for entry in entries if _matches(entry, query)]
    after = query.get("after")
    page = [entry for entry in found if after is None or entry["id"] > after][: query["limit"]]
    more = bool(page) and page[-1]["id"] != found[-1]["id"]
    return {
        "community_id": community,
        "total": len(found),
        "people": [_listed(entry, actor) for entry in page],
        "next_after": page[-1]["id"] if more else None,
    }


def _matches(entry: dict[str, Any], query: dict[str, Any]) -> bool:
    text = (query.get("q") or "").casefold()
    return (
        (not query.get("role") or query["role"] in entry["roles"])
        and (not query.get("grid_id") or query["grid_id"] in entry["home_grids"])
        and (not query.get("team") or query["team"] in entry["teams"])
        and (not text or text in entry["id"].casefold() or text in entry["name"].casefold())
        and (query.get("active") is None or entry["active"] == query["active"])
    )


def _listed(entry: dict[str, Any], actor: Actor) -> dict[str, Any]:
    if actor.is_admin:
        return {**entry, "display_name": entry["name"]}
    return {
        **entry,
        "display_name": mask_name(entry["name"]),
        "phone": mask_phone(entry.get("phone") or "") or None,
    }


def _masked_address(address: str) -> str:
    """A number as 138****0001; anything else (an e-mail, a WeCom id) by its first two."""
    masked = mask_phone(address)
    return masked if masked != address else address[:2] + "***"


def offers(store: RosterStore, person_id: str, actor: Actor) -> dict[str, Any]:
    person(store, person_id, actor)
    return {"person_id": person_id, "offers": store.offers_of(person_id)}


def open_cases(store: RosterStore, person_id: str, actor: Actor) -> dict[str, Any]:
    """What a person holds against their caps: open cases, and offers not yet answered."""
    found = person(store, person_id, actor)
    policy = store.policy(found["community_id"]).dispatch
    return {
        "person_id": person_id,
        "open_cases": found.get("open_cases", []),
        "cap": load_of(store, found)["cap"],
        "open_offers": dispatching.open_offers(found.get("open_offers", ()), utc_now()),
        "offer_cap": policy.offer_cap(found.get("roles", ())),
    }


def person_ledger(store: RosterStore, person_id: str, actor: Actor) -> dict[str, Any]:
    person(store, person_id, actor)
    _own_ledger(store, actor, f"person {person_id}", person_id=person_id)
    found = hours.ledger_of(store, person_id=person_id)
    return {"person_id": person_id, "total": found["balance_minutes"] / 60, **found}


def household_ledger(
    store: RosterStore, community_id: str, household_id: str, actor: Actor
) -> dict[str, Any]:
    """A household of one community: household ids are written by each community's staff,
    so the same id elsewhere is another household, never summed with this one."""
    _visible(actor, community_id, f"community {community_id}")
    _own_ledger(store, actor, f"hours for household {household_id}", household_id=household_id)
    found = hours.ledger_of(store, community_id=community_id, household_id=household_id)
    if not found["entries"]:
        raise NotFound(f"No hours for household {household_id}.")
    return {
        "community_id": community_id,
        "household_id": household_id,
        "total": found["balance_minutes"] / 60,
        **found,
    }


def _own_ledger(store: RosterStore, actor: Actor, what: str, **whose: str) -> None:
    """A volunteer reads their own ledger and their own household's only: anyone else's is
    "not found", as another community's (their person record is read by `_id`)."""
    if actor.person_id is None or not ledger.reads_own_ledger_only(actor.role):
        return
    if not ledger.may_read_ledger(store.find("people", actor.person_id), **whose):
        raise NotFound(f"No {what}.")


def _community_ledgers(actor: Actor) -> None:
    """The community's ledgers (the queue, the export) are not for who reads only their own."""
    if actor.person_id is not None and ledger.reads_own_ledger_only(actor.role):
        raise Forbidden("A volunteer reads their own hours only.")


def waiting_hours(
    store: RosterStore, community_id: str, after: str | None, limit: int, actor: Actor
) -> dict[str, Any]:
    """The approvals queue: credits over the community's limit that wait for staff, with
    whose they are (masked names), oldest first."""
    _visible(actor, community_id, f"community {community_id}")
    _community_ledgers(actor)
    count, page = hours.waiting(store, community_id, after, limit)
    names: dict[str, str] = {}
    for entry in page:
        if entry.person_id not in names:
            found = store.find("people", entry.person_id) or {}
            names[entry.person_id] = mask_name(found.get("name") or entry.person_id)
    return {
        "community_id": community_id,
        "waiting": count,
        "entries": [
            {**entry.__dict__, "hours": entry.hours, "display_name": names[entry.person_id]}
            for entry in page
        ],
        "next_after": page[-1].id if len(page) == limit else None,
    }


def dispatch(store: RosterStore, case_id: str, actor: Actor) -> dict[str, Any]:
    found = store.dispatches.get(case_id)
    if found is None:
        raise NotFound(f"No dispatch for case {case_id}.")
    _visible(actor, found.case.community_id, f"dispatch for case {case_id}")
    return {
        "case_id": case_id,
        "community_id": found.case.community_id,
        "grid_id": found.case.grid_id,
        "category": found.case.category,
        "state": found.state,
        "round": found.round,
        "attempt": found.attempt,
        "offer": found.offer,
        "passed": found.passed,
        "escalation_step": found.step,
        "holder": found.holder,
        "awaits_shift": (
            found.awaits_shift if found.state == "offered" and found.offer is None else None
        ),
    }


def rota_check(
    store: RosterStore, community_id: str, start: datetime, days: int, actor: Actor
) -> dict[str, Any]:
    """Gaps (nobody on duty for a team that should always have someone, in a grid it
    serves), overlaps (two of a team's rotas on duty at once in a grid) and uneven load
    (each rota's members' hours) over the coming days."""
    _visible(actor, community_id, f"community {community_id}")
    window = (start, start + timedelta(days=days))
    teams = {team["code"]: team for team in store.of_community("teams", community_id)}
    duties: dict[str, list[rotas.Duty]] = defaultdict(list)
    loads = []
    for document in store.of_community("rotas", community_id):
        found = duty_of(store, rota_from_document(document), window)
        duties[document["team"]].append(found)
        loads.append(rotas.load(found))
    gaps, overlaps = [], []
    for code, team in sorted(teams.items()):
        for grid in team["grids"]:
            serving = [d for d in duties[code] if grid in d.rota.grids]
            found = grid_cover(team, grid, serving, window)
            gaps.extend(found["gaps"])
            overlaps.extend(found["overlaps"])
    return {
        "community_id": community_id,
        "start": window[0],
        "end": window[1],
        "gaps": gaps,
        "overlaps": overlaps,
        "loads": [
            {"rota_id": x.rota_id, "hours": dict(x.hours), "uneven": x.uneven} for x in loads
        ],
    }


def grid_cover(
    team: Mapping[str, Any], grid_id: str, duties: list[rotas.Duty], window: Interval
) -> dict[str, list[dict[str, Any]]]:
    """The one rule `roster check`, `GET /v1/rota-check` and a rota's week share: gaps for a
    team that should always have someone on duty (`around_the_clock`, the default), and
    overlaps of its rotas, in one grid."""
    gaps = rotas.gaps(grid_id, team["code"], duties, window)
    if not team.get("around_the_clock", True):
        gaps = []
    overlaps = rotas.overlaps(grid_id, team["code"], duties, window)
    return {"gaps": [_stretch(gap) for gap in gaps], "overlaps": [_stretch(o) for o in overlaps]}


def _stretch(gap: rotas.Gap) -> dict[str, Any]:
    return {**gap.__dict__, "hours": round(gap.hours, 2)}


def hours_csv(store: RosterStore, community_id: str, by: str, actor: Actor) -> str:
    """The community's ledger as CSV: every entry, or the exact balance per person or
    per household (hours credited in place of part of the estate fund). Text is quoted
    where a spreadsheet would run it (lianxin.spreadsheets)."""
    _visible(actor, community_id, f"community {community_id}")
    _community_ledgers(actor)
    entries = store.entries(community_id=community_id)
    if by == "entries":
        return to_csv(ledger.CSV_COLUMNS, [ledger.csv_row(entry) for entry in entries])
    key = "person_id" if by == "people" else "household_id"
    grouped: dict[str, list[ledger.Entry]] = defaultdict(list)
    for entry in entries:
        if getattr(entry, key):
            grouped[getattr(entry, key)].append(entry)
    rows = [
        {
            key: owner,
            "balance_minutes": ledger.balance(owned),
            "balance_hours": ledger.in_hours(ledger.balance(owned)),
            "entries": len(owned),
        }
        for owner, owned in sorted(grouped.items())
    ]
    return to_csv([key, "balance_minutes", "balance_hours", "entries"], rows)
