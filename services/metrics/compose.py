"""The composition root of the metrics service: what a process builds once.

`build(context)` is given to lianxin's PartsProvider: at container start it makes the
repository on the process's store context, reads the evaluation policy (data/), and
makes the caches and readers the entrypoints and gauges share. Nothing else builds
them: the consumer, the HTTP routes, the gauges and the operator CLI all take them
from here (`Parts`), and a test builds the same parts on the in-memory store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from lianxin.store.repository import StoreContext
from services.metrics.app.zones import ZoneBook
from services.metrics.domain.evaluation import Policy
from services.metrics.gauges.dead_letters import DeadLetterDepths
from services.metrics.store import MetricsStore

POLICY_FILE = Path(__file__).parent / "data" / "evaluation.yaml"
DEFAULT_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Parts:
    """The metrics process's repository, reference data and shared readers. It is what
    PartsProvider injects, so it answers the repository's start-up calls itself."""

    store: MetricsStore
    policy: Policy
    zones: ZoneBook
    dead_letters: DeadLetterDepths

    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def recover(self) -> int:
        return self.store.recover()


def build(context: StoreContext) -> Parts:
    store = MetricsStore(context)
    watched = context.config.get("DEAD_LETTER_WATCH") or {}
    return Parts(
        store=store,
        policy=load_policy(),
        zones=ZoneBook(store, default_zone(context.config)),
        dead_letters=DeadLetterDepths(context.settings.amqp_uri, watched),
    )


def load_policy(path: Path = POLICY_FILE) -> Policy:
    """The quarterly evaluation's weights and thresholds (data/evaluation.yaml)."""
    return Policy.from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")))


def default_zone(config: Mapping[str, Any]) -> ZoneInfo:
    """DEFAULT_TIMEZONE of the service's config: the zone of a community roster has not
    described yet."""
    return ZoneInfo(str(config.get("DEFAULT_TIMEZONE") or DEFAULT_ZONE))
