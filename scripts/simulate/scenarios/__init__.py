"""The scenarios of a community's quarter, one module per capability (scenario.Scenario).

every_scenario builds them in the order they are scheduled; add a new capability's here.
"""

from __future__ import annotations

from random import Random

from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Scenario
from scripts.simulate.scenarios.activities import Activities
from scripts.simulate.scenarios.care import CareRounds
from scripts.simulate.scenarios.fund import EstateFund
from scripts.simulate.scenarios.hotline import HotlineOrders
from scripts.simulate.scenarios.mediation import MediationDesk
from scripts.simulate.scenarios.notices import Notices
from scripts.simulate.scenarios.pact import Pact
from scripts.simulate.scenarios.property import PropertyEvaluation
from scripts.simulate.scenarios.reports import Reports
from scripts.webhook_sink import Sink


def every_scenario(apis: Apis, seed: int, sink: Sink) -> list[Scenario]:
    """Each with a random generator of its own, seeded from `seed`: adding a scenario does
    not change what the others do. `sink` is the phones' inbox (what notify texts)."""
    reports = Reports(apis, Random(f"{seed}:reports"))
    return [
        reports,
        HotlineOrders(apis, Random(f"{seed}:hotline"), reports.lives),
        MediationDesk(apis, Random(f"{seed}:mediation"), reports.lives),
        CareRounds(apis, Random(f"{seed}:care"), reports),
        Activities(apis, Random(f"{seed}:activities")),
        EstateFund(apis, Random(f"{seed}:fund")),
        Pact(apis, Random(f"{seed}:pact")),
        PropertyEvaluation(apis, Random(f"{seed}:property"), reports.lives),
        Notices(apis, Random(f"{seed}:notices"), sink),
    ]
