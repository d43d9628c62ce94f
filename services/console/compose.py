"""The console's composition root: its settings, labels, templates, the client of the other
services and its repository, built once per process.

At container start lianxin's PartsProvider calls `build` (`parts = PartsProvider(
compose.build)` in service.py), which reads the settings from the service's config, the
labels (data/labels.yaml, checked whole) and the page templates (templates/), and makes
the repository and the client of the other services' APIs (apis.py). The pages and
handlers take them from there as `self.parts`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lianxin.access.case_pages import CasePageLinks
from lianxin.config import DEV_TOKEN_SECRET, Settings
from lianxin.store.repository import StoreContext
from services.console.apis import ApiUrls, Services
from services.console.app.board import BoardMirror
from services.console.app.residents_report import ReportPages
from services.console.domain.labels import Labels
from services.console.store import ConsoleStore

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
DEV_CONSOLE_SECRET = "dev-only-console-secret"


@dataclass(frozen=True)
class ConsoleSettings:
    secret: str  # keys the digests of phone numbers and codes (CONSOLE_SECRET)
    token_secret: str  # the services' (TOKEN_SECRET): reads the links to a case's page
    api_key: str  # the console's own key (CONSOLE_API_KEY)
    residents_key: str  # the public pages' key (CONSOLE_RESIDENTS_KEY): reporting alone
    urls: ApiUrls
    public_url: str  # where browsers reach the console: https makes cookies Secure
    default_zone: ZoneInfo  # until metrics names the community's

    @classmethod
    def from_config(cls, settings: Settings, config: Mapping[str, Any]) -> ConsoleSettings:
        return cls(
            secret=settings.secret(
                "CONSOLE_SECRET", str(config.get("CONSOLE_SECRET") or ""), DEV_CONSOLE_SECRET
            ),
            token_secret=settings.secret("TOKEN_SECRET", settings.token_secret, DEV_TOKEN_SECRET),
            api_key=str(config.get("CONSOLE_API_KEY") or ""),
            residents_key=str(config.get("CONSOLE_RESIDENTS_KEY") or ""),
            urls=ApiUrls(
                cases=str(config.get("CASES_URL", "http://127.0.0.1:8001")).rstrip("/"),
                roster=str(config.get("ROSTER_URL", "http://127.0.0.1:8002")).rstrip("/"),
                notify=str(config.get("NOTIFY_URL", "http://127.0.0.1:8003")).rstrip("/"),
                metrics=str(config.get("METRICS_URL", "http://127.0.0.1:8004")).rstrip("/"),
                estate=str(config.get("ESTATE_URL", "http://127.0.0.1:8006")).rstrip("/"),
            ),
            public_url=str(config.get("PUBLIC_URL") or "http://127.0.0.1:8005").rstrip("/"),
            default_zone=ZoneInfo(str(config.get("DEFAULT_TIMEZONE") or "Asia/Shanghai")),
        )

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@dataclass(frozen=True)
class Parts:
    """What the pages and handlers share: built once, read by every worker."""

    store: ConsoleStore
    settings: ConsoleSettings
    services: Services
    residents: Services  # the same client with the residents' key: the public pages' only
    labels: Labels
    templates: Environment
    board: BoardMirror  # this process's copy of the case board's rows
    case_pages: CasePageLinks  # the signed links from messages to a person's case page
    zones: dict[str, ZoneInfo] = field(default_factory=dict)  # as metrics last named them
    report_pages: ReportPages = field(default_factory=ReportPages)  # the public pages' reads

    def zone_of(self, community_id: str | None) -> ZoneInfo:
        """The community's time zone, once a summary from metrics has named it."""
        return self.zones.get(community_id or "", self.settings.default_zone)

    def learn_zone(self, community_id: str, name: str | None) -> ZoneInfo:
        if name:
            self.zones[community_id] = ZoneInfo(name)
        return self.zone_of(community_id)

    # what PartsProvider asks of the parts at start and on every sweep
    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def recover(self) -> int:
        return self.store.recover()


@functools.cache
def load_labels(path: Path = HERE / "data" / "labels.yaml") -> Labels:
    """Read and checked once per process: every page route's error pages use the same
    table, and reading it per route cost each console a minute of CPU at start (some
    200 routes × a 90 kB YAML), too long for two replicas on a loaded 2-core machine.
    Being shared, the table is read-only (domain/labels.py Labels)."""
    labels = Labels(yaml.safe_load(path.read_text(encoding="utf-8")))
    labels.check()
    return labels


def template_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def build(context: StoreContext) -> Parts:
    settings = ConsoleSettings.from_config(context.settings, context.config)
    if not settings.api_key:  # it serves, and every page that needs another service says so
        log.error("CONSOLE_API_KEY is not set: the console cannot act (`make up` makes it)")
    if not settings.residents_key:
        log.error("CONSOLE_RESIDENTS_KEY is not set: residents cannot report (`make up` makes it)")
    store = ConsoleStore(context)
    return Parts(
        store=store,
        settings=settings,
        services=Services(settings.urls, settings.api_key),
        residents=Services(settings.urls, settings.residents_key),
        labels=load_labels(),
        templates=template_environment(),
        board=BoardMirror(store),
        case_pages=CasePageLinks(settings.token_secret),
    )
