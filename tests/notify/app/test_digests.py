"""A burst to one person beyond the rate limit is bundled into one digest (app/digests.py),
on the in-memory store: time-critical messages never wait for one."""

from __future__ import annotations

from services.notify.app import digests, pipeline, reactions, replicas
from tests.notify.app.conftest import case_event, deadlines, dispatched, person_changed


def decided(case_id: str):
    """News for the assignee that may wait for a digest."""
    assignee = {"person_id": "p-1", "display_name": "侯**"}
    return case_event("case.extension_decided", case_id, assignee=assignee, approved=True)


def test_past_the_rate_limit_news_waits_for_one_digest_naming_every_case(
    store, outbound, receivers, memory_backend, now
):
    replicas.apply_person(store, person_changed("p-1", [("email", "a@b.cn")]).payload)
    for number in range(4):
        reactions.on_case_event(store, outbound, decided(f"LX-{number}"), now)
        for attempt in deadlines(memory_backend, pipeline.ATTEMPT)[number:]:
            pipeline.attempt(store, outbound, attempt, now)
    assert len(receivers["email"].sent) == 2, "the rate limit: two in ten minutes"
    bundled = [d for case in ("LX-2", "LX-3") for d in store.of_case(case)]
    assert {d.state for d in bundled} == {"bundled"} and len({d.bundled_into for d in bundled}) == 1
    [flush] = deadlines(memory_backend, digests.DIGEST)
    now.advance(minutes=10)
    pipeline.flush_digest(store, outbound, flush, now)
    pipeline.flush_digest(store, outbound, flush, now)
    [(digest, _, _)] = receivers["email"].sent[2:]
    assert digest.kind == "digest" and [i["case_id"] for i in digest.bundle] == ["LX-2", "LX-3"]


def test_an_offer_never_waits_for_a_digest(store, outbound, receivers, now):
    replicas.apply_person(store, person_changed("p-1", [("email", "a@b.cn")]).payload)
    for number in range(4):
        reactions.on_case_event(store, outbound, dispatched("p-1", f"LX-{number}"), now)
    assert len(receivers["email"].sent) == 4
