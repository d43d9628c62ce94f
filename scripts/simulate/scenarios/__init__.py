"""The scenarios of a community's quarter, one module per capability (scenario.Scenario).

ALL builds them in the order they are scheduled; add a new capability's scenario here.
"""

from __future__ import annotations

from random import Random

from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Scenario
from scripts.simulate.scenarios.activities import Activities
from scripts.simulate.scenarios.care import CareRounds
from scripts.simulate.scenarios.hotline import HotlineOrders
from scripts.simulate.scenarios.mediation import MediationDesk
from scripts.simulate.scenarios.reports import Reports


def every_scenario(apis: Apis, seed: int) -> list[Scenario]:
    """Each with a random generator of its own, seeded from `seed`: adding a scenario does
    not change what the others do."""
    reports = Reports(apis, Random(f"{seed}:reports"))
    return [
        reports,
        HotlineOrders(apis, Random(f"{seed}:hotline"), reports.lives),
        MediationDesk(apis, Random(f"{seed}:mediation"), reports.lives),
        CareRounds(apis, Random(f"{seed}:care"), reports),
        Activities(apis, Random(f"{seed}:activities")),
    ]
