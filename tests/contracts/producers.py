"""What each producer emits, made by its own code: the cases lifecycle (domain functions,
as the use cases call them), roster's and notify's event factories. Plain Python, no I/O.

Every event here went through its contract's `new_event` (validated as emitted); the
contract tests read each one as every consumer of it does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from lianxin.access.person_access import PersonAccess
from lianxin.bus.envelope import Envelope
from services.cases.app import actions as case_actions
from services.cases.app import keys
from services.cases.domain import (
    appointments,
    clock_actions,
    desk_sessions,
    lifecycle,
    mediation,
    parties,
)
from services.cases.domain.case import Case, Outcome
from services.notify.app.pipeline import outcome_events
from services.notify.domain.delivery import Attempt, Contact, Delivery, Recipient
from services.roster.app import activities, care, hours, registry, rota_clock
from services.roster.app import dispatch as roster_dispatch
from services.roster.domain import care as care_rules
from services.roster.domain import rota as rotas
from services.roster.domain.activities import Activity, HoursRule, SignUp
from services.roster.domain.dispatch import CaseRef, Escalate, Offer
from services.roster.domain.ledger import Entry
from services.roster.domain.rota import Rota, Slot, compile_plan
from tests.cases.factories import (
    AT,
    OFFER,
    REPORTER,
    SHARE,
    STAFF,
    TAXONOMY,
    VOLUNTEER,
    Keys,
    member,
    report,
    triaged,
)

HOTLINE = {"hotline_id": "changsha-12345", "order_no": "GD-20260306-0001", "deadline": None}
SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- cases -----------------------------------------------------------------------------


class Walk:
    """Outcomes taken one after another: the facts they emit, as the use cases emit them."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    def take(self, outcome: Outcome | None) -> Case | None:
        if outcome is None:
            return None
        self.envelopes += case_actions.envelopes(outcome, "contract-test", AT)
        return outcome.case

    def fire_timers(self, outcome: Outcome, count: int = 4) -> Case:
        """The case's clock run on: its next timer fired when due, `count` times (each
        fired timer sets the next: a warning, then a breach, for accept and resolve)."""
        case, timers = outcome.case, outcome.timers
        for _ in range(count):
            if not timers:
                break
            timer = min(timers, key=lambda timer: timer.due_at)
            fired = clock_actions.fired(case, timer.payload, timer.due_at, SHARE)
            if fired is None:
                break
            case = self.take(fired) or case
            timers = fired.timers
        return case


def cases_events() -> list[Envelope]:
    """A walk that makes every event cases emits: a hotline report through its whole
    life, a reopening and a withdrawal; a rejection and a merge; a report nothing
    mapped, an emergency; a key issued and revoked."""
    walk = Walk()

    def at(minutes: int) -> datetime:
        return AT + timedelta(minutes=minutes)

    reported = report(hotline=HOTLINE)  # case.reported, case.triaged
    walk.take(reported)
    case = walk.fire_timers(reported)  # case.warning, case.overdue (and an escalation)
    case = walk.take(lifecycle.dispatch(case, OFFER, at(1)))
    case = walk.take(lifecycle.decline(case, VOLUNTEER, "busy", at(2)))
    case = walk.take(lifecycle.assign(case, member("p-repair-1"), "石师傅", "", STAFF, at(3)))
    case = walk.take(lifecycle.accept(case, VOLUNTEER, at(4)))
    case = walk.take(lifecycle.escalate(case, "grid_leader", "slow", STAFF, at(5)))
    until = at(6) + timedelta(days=9)
    case = walk.take(clock_actions.request_extension(case, VOLUNTEER, until, "parts", at(6)))
    case = walk.take(clock_actions.decide_extension(case, TAXONOMY, STAFF, True, "", at(7)))
    case = walk.take(clock_actions.suspend(case, STAFF, "water company", at(8)))
    case = walk.take(clock_actions.resume(case, TAXONOMY, STAFF, "", at(9)))
    case = walk.take(lifecycle.resolve(case, VOLUNTEER, "换了灯泡", 1.5, (), at(10)))
    case = walk.take(lifecycle.verify(case, STAFF, "查验合格", at(11)))
    case = walk.take(lifecycle.rate(case, REPORTER, 4, "", at(12)))
    case = walk.take(lifecycle.reopen(case, TAXONOMY, STAFF, "again", at(13)))
    walk.take(lifecycle.withdraw(case, STAFF, "fixed", at(14)))

    walk.take(lifecycle.reject(triaged(hotline=HOTLINE), STAFF, "not ours", at(20)))
    into = replace(triaged(), id="LX-2", number="JX-20260306-0002")
    walk.take(lifecycle.merge(triaged(), into, STAFF, at(21)))

    unmapped = report(description="有件事想反映一下")  # case.triage_needed
    walk.take(unmapped)
    walk.take(lifecycle.withdraw(unmapped.case, STAFF, "told by phone", at(30)))
    emergency = report(description="楼道里着火了，浓烟很大")  # case.emergency, escalated
    walk.take(emergency)
    appointed = walk.take(appointment_set())
    desk = TAXONOMY.desk(appointed.community_id, appointed.team)
    opens = appointed.appointment["starts_at"]
    heard = opens + timedelta(hours=2)
    party = parties.add_party(appointed, desk, STAFF, "王某", "applicant", None, True, AT).case
    held = (opens, 60, ["P1"], ["p-mediator-1"], "", mediator, heard)
    settled = walk.take(desk_sessions.record_session(party, desk, STAFF, *held))
    agreed = ("agreement", heard, "赔偿500元", ["王某"])
    follow_up_after = TAXONOMY.follow_up_after
    outcome = mediation.record_outcome(
        settled, desk, STAFF, *agreed, follow_up_after=follow_up_after
    )
    agreed_case = walk.take(outcome)
    due = agreed_case.mediation["follow_up_due"]
    reminded = walk.take(mediation.follow_up_due(agreed_case, due))  # case.overdue: follow_up
    walk.take(mediation.follow_up(reminded, STAFF, "双方履行协议", due))  # …followed_up

    shelf = Keys()
    grant = keys.Grant.of("hotline", ("report", "read"), ("jingxiang",), hotline_id="cs-12345")
    record, _ = keys.issue(shelf, grant, at(40))
    keys.revoke(shelf, record.id, at(41))
    return [*walk.envelopes, *shelf.events]


def mediator(person_id: str) -> PersonAccess:
    """The desk's mediator as cases' replica of roster's people knows them."""
    return PersonAccess(person_id, "jingxiang", ("volunteer",), True, 1)


def appointment_set() -> Outcome:
    """A dispute at the mediation desk, its appointment set for the desk's first session
    after the report (case.appointment_set)."""
    dispute = report(description="邻居吵架，楼上漏水到我家").case
    desk = TAXONOMY.desk(dispute.community_id, dispute.team)
    session = desk.next_opening(AT + timedelta(days=1))
    return appointments.set_appointment(dispute, desk, STAFF, session.opens, 60, "红帆驿站", AT)


# -- roster ----------------------------------------------------------------------------


def roster_events() -> list[Envelope]:
    """Each of roster's event factories, with what its use cases hand it."""
    now = datetime(2026, 3, 6, 4, 0, tzinfo=UTC)
    case = CaseRef(
        "LX-1", "jingxiang", "jingxiang-g1", "facility.lighting", "repair_crew", "normal", "c"
    )
    offer = Offer(
        "OF-1",
        "LX-1",
        "p-repair-1",
        "石*",
        "repair_crew",
        "jingxiang-g1",
        now,
        now + timedelta(minutes=20),
        1,
        1,
    )
    leader = {"person_id": "p-leader", "display_name": "刘**", "department": None}
    area = {
        "_id": "jingxiang-g1",
        "kind": "grid",
        "parent": "jingxiang",
        "community_id": "jingxiang",
        "name": "第一网格",
        "households": 120,
        "polygon": [{"lat": 28.13, "lon": 113.01}],
        "timezone": None,
    }
    person = {
        "_id": "p-repair-1",
        "community_id": "jingxiang",
        "name": "石师傅",
        "roles": ["volunteer"],
        "teams": ["repair_crew"],
        "home_grids": ["jingxiang-g1"],
        "contacts": [{"channel": "sms", "address": "13800000000"}],
        "quiet_hours": "22:00-07:00",
        "active": True,
        "access_since": now,
        "version": 1,
    }
    credit = Entry("HX-1", "credit", "approved", "p-repair-1", "jingxiang", 90, now, "LX-1")
    rota = Rota(
        "r-1",
        "jingxiang",
        "repair_crew",
        ("jingxiang-g1",),
        SHANGHAI,
        (("p-1",),),
        compile_plan([Slot("FREQ=DAILY;BYHOUR=8", 480)], date(2026, 3, 2), 1),
    )
    found = rotas.duty(rota, (now, now + timedelta(days=2)))
    drive = Activity("A-1", "jingxiang", "cleanup", "清洁家园", ("jingxiang-g1",), now,
                     now + timedelta(hours=2), 10, HoursRule("length"), "p-staff-1", now,
                     (SignUp("p-repair-1", now, now),))  # fmt: skip
    plan = care_rules.CarePlan(
        "CP-0123456789abcdef", "jingxiang", "jingxiang-g1", "jingxiang-b01-u1", "王秀英",
        "13800000001", "elderly_alone", "call", "weekly", "p-1", now, "Asia/Shanghai",
        care_rules.Consent("p-staff-1", now), now,
    )  # fmt: skip
    tick = care_rules.tick_of(plan, date(2026, 3, 6), "p-1", "needs_help", "摔倒", "LX-1", now)
    check = care_rules.first_check(plan, timedelta(days=1))
    return [
        roster_dispatch.offer_made(offer, "c", "LX-1", now),
        roster_dispatch.offer_expired(offer, "c", "LX-1", now),
        roster_dispatch.escalation_required(
            case, Escalate(1, "grid_leader", "nobody accepted", None), leader, "why", "c", now
        ),
        registry.area_changed(area, 1, now),
        registry.person_changed(person, now),
        hours.credited_event(credit, "c"),
        *rota_clock.shift_reminders(rota, found, now, now + timedelta(days=2), now),
        rota_clock.duty_changed(rota, "jingxiang-g1", 1, now),
        activities.published_event(drive),
        activities.attended_event(drive, "p-repair-1", now),
        care.ticked_event(tick),
        care.missed_event(plan, check, "carer", "p-1", now),
    ]


# -- notify ----------------------------------------------------------------------------


def notify_events() -> list[Envelope]:
    """The outcomes of a delivery sent, one failed, and one given up."""
    now = datetime(2026, 3, 6, 4, 0, tzinfo=UTC)
    sms = Contact("sms", "13800000000")
    sent = Delivery(
        "DL-1",
        "E-1",
        "case.dispatched",
        Recipient("person", "p-1", "石*"),
        sms,
        {},
        now,
        community_id="jingxiang",
        case_id="LX-1",
        category="facility.lighting",
        state="sent",
        attempts=1,
    )
    refused = Attempt(now, False, "HTTP 502 from https://sms.example/send")
    failed = replace(sent, state="failed", attempts=2, history=(refused,))
    dead = replace(failed, state="dead", dead_at=now)
    return [event for delivery in (sent, failed, dead) for event in outcome_events(delivery)]
