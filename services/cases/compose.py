"""The composition root of the cases service: the reference data and the repositories,
built once per process and handed to every entrypoint as one `Parts`.

Reference data is read here and nowhere else: the taxonomy with its keyword rules and
emergency phrases (which also carries the time-limit policy, the share of a limit after
which the assignee is warned) and the readable numbers' prefixes, from `data/` or the
folder CASES_DATA_DIR names. The repository (store.py) only speaks Mongo; `Intake`
(app/intake.py) is built here with both, and every channel uses that one.

`build(context)` is what lianxin's PartsProvider calls at container start; a test
builds the same parts on a context of the in-memory store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from lianxin.contracts.calendars import desks as desk_calendars
from lianxin.store.aggregates import recover_all
from lianxin.store.repository import StoreContext
from services.cases.app.intake import Intake
from services.cases.domain.triage import Taxonomy
from services.cases.store import CaseStore, KeyStore, PhotoStore

DATA = Path(__file__).parent / "data"
DEFAULT_WARNING_SHARE = 0.8  # of a time limit used, when the assignee is warned
DEFAULT_FOLLOW_UP_DAYS = 30.0  # an agreement's follow-up visit (a test stack: seconds)


def _read(folder: Path, name: str) -> Any:
    return yaml.safe_load((folder / name).read_text(encoding="utf-8"))


def load_taxonomy(
    folder: Path = DATA,
    warning_share: float = DEFAULT_WARNING_SHARE,
    follow_up_days: float = DEFAULT_FOLLOW_UP_DAYS,
) -> Taxonomy:
    """The categories, keyword rules and emergency phrases, with the time-limit policy:
    the warning share, the calendars of the desks that keep opening hours and how long
    after an agreement its follow-up visit is due."""
    if not 0 < warning_share < 1:
        raise ValueError(f"TIME_WARNING_SHARE is a share of the time, not {warning_share}")
    taxonomy = Taxonomy.from_data(
        _read(folder, "taxonomy.yaml"),
        _read(folder, "keywords.yaml"),
        _read(folder, "emergencies.yaml"),
    )
    desks = desk_calendars()
    if follow_up_days <= 0:
        raise ValueError(f"MEDIATION_FOLLOW_UP_DAYS is a time to come, not {follow_up_days}")
    follow_up_after = timedelta(days=follow_up_days)
    return replace(
        taxonomy, warning_share=warning_share, desks=desks, follow_up_after=follow_up_after
    )


def load_prefixes(folder: Path = DATA) -> dict[str, str]:
    """Each community's prefix of readable case numbers."""
    return dict((_read(folder, "case_numbers.yaml") or {}).get("prefixes") or {})


@dataclass(frozen=True)
class Parts:
    """What the entrypoints use: the repositories, the reference data, the intake."""

    store: CaseStore
    keys: KeyStore
    photos: PhotoStore
    taxonomy: Taxonomy
    intake: Intake

    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def recover(self) -> int:
        """The outbox sweep over every aggregate of the service: one read of the leases."""
        return recover_all((*self.store.aggregates, self.keys.keys, self.photos.photos))


def build(context: StoreContext) -> Parts:
    config: Mapping[str, Any] = context.config
    folder = Path(config.get("CASES_DATA_DIR") or DATA)
    share = float(config.get("TIME_WARNING_SHARE") or DEFAULT_WARNING_SHARE)
    follow_up_days = float(config.get("MEDIATION_FOLLOW_UP_DAYS") or DEFAULT_FOLLOW_UP_DAYS)
    taxonomy = load_taxonomy(folder, share, follow_up_days)
    store = CaseStore(context)
    return Parts(
        store=store,
        keys=KeyStore(context),
        photos=PhotoStore(context),
        taxonomy=taxonomy,
        intake=Intake(store, taxonomy, load_prefixes(folder)),
    )
