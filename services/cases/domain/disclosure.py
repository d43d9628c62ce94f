"""Who sees a private case's details. Plain Python.

A case of a private category (a family or neighbour dispute, a visit to an elderly person
living alone: `Category.private`) is about a household. Its text, place, reporter, photos
and notes are shown to the community's officials (staff, grid leaders and grid workers,
who triage, assign and verify) and to the person it is assigned to — not to every
volunteer whose token may read the community's cases. A key acting for nobody in
particular (the hotline, a residents' app's back end) answers for its own users and sees
what it reported, masked as always. Whoever may not see the details still sees that the
case exists, its number, grid, state and times: the work stays visible, the household not.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.cases.domain.case import CHECKERS, Case


@dataclass(frozen=True)
class Viewer:
    """Who reads: the person acting through a key (None for a key alone) and their role."""

    person_id: str | None
    role: str | None


def sees_details(case: Case, viewer: Viewer) -> bool:
    if not case.private or viewer.person_id is None:
        return True
    return viewer.role in CHECKERS or viewer.person_id == case.assignee
