"""Which resolution each reopening takes back, in any arrival order: plain Python."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.roster.domain.credits import Credits, Reopening, Resolution

AT = datetime(2026, 3, 6, 4, 0, tzinfo=UTC)


def lifecycle(resolutions: int) -> list[Resolution | Reopening]:
    """Resolved, reopened, resolved, … as a case goes: versions rising, other events
    between them (closed, accepted) leaving gaps."""
    found: list[Resolution | Reopening] = []
    version = 3
    for k in range(1, resolutions + 1):
        found.append(Resolution(version, f"H-{k}"))
        version += 3
        if k < resolutions or k % 2:  # some lifecycles end reopened, some resolved
            found.append(Reopening(k, version, f"HR-{k}", AT, ""))
            version += 4
    return found


def arrive(credits: Credits, fact: Resolution | Reopening) -> tuple[Credits, list[tuple]]:
    credits = credits.resolved(fact) if isinstance(fact, Resolution) else credits.reopened(fact)
    taken = []
    for reopening, resolution in credits.due():
        credits = credits.took_back(reopening, resolution)
        taken.append((reopening.reversal_id, resolution.credit_id))
    return credits, taken


@given(st.integers(1, 5).flatmap(lambda n: st.permutations(lifecycle(n))))
def test_the_kth_reopening_takes_back_the_kth_credit_once_whatever_the_order(facts):
    credits, taken = Credits(), []
    for fact in [*facts, *facts]:  # and every one delivered twice
        credits, now = arrive(credits, fact)
        taken.extend(now)
    reopenings = [fact for fact in facts if isinstance(fact, Reopening)]
    assert sorted(taken) == sorted((r.reversal_id, f"H-{r.count}") for r in reopenings)


def test_a_reopening_waits_while_a_resolution_before_it_may_still_be_on_its_way():
    first, second = Resolution(3, "H-1"), Resolution(9, "H-2")
    second_reopening = Reopening(2, 12, "HR-2", AT, "")
    credits = Credits().resolved(second).reopened(second_reopening)
    assert credits.due() == []  # H-2 is the latest below it, but is it the second?
    credits = credits.resolved(first)
    assert credits.due() == [(second_reopening, second)]
