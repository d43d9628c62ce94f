"""notify's composition root: the reference data and the repository, built once per
process, and nothing else builds them.

At container start lianxin's PartsProvider calls `build`, which reads the settings
(settings.py) and builds the repository and the Outbound: the routes file
(data/routes.yaml, or NOTIFY_ROUTES_FILE), the message templates (data/templates/, over
NOTIFY_TEMPLATE_DIR) checked whole, the labels
(data/labels.yaml), the channels this deployment can send on (channels/registry.py),
action links, and the retry and rate policies. A missing or default secret, an unset
`${VAR}` in the routes file or a bad template stops the service here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from lianxin.access.case_pages import CasePageLinks
from lianxin.access.progress_links import ProgressLinks
from lianxin.backoff import BackOff
from lianxin.config import Settings
from lianxin.store.repository import StoreContext
from services.notify.channels.registry import Channels
from services.notify.domain.facts import Labels
from services.notify.domain.links import ActionLinks
from services.notify.domain.messages import Messages
from services.notify.domain.notice_links import NoticeLinks
from services.notify.domain.people import RateLimit
from services.notify.domain.plans import Reachable
from services.notify.domain.redaction import redact
from services.notify.domain.routes import Routes, RoutesFile
from services.notify.settings import ConfigurationError, NotifySettings
from services.notify.store import NotifyStore

LABELS = Path(__file__).parent / "data" / "labels.yaml"
UNSET = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
DEV_HOTLINE_SECRET = "dev-only-hotline-secret"


@dataclass(frozen=True)
class Outbound:
    """How messages leave: what every use case that sends is given."""

    channels: Channels
    messages: Messages
    words: Labels
    links: ActionLinks
    progress_links: ProgressLinks  # each progress message's link to the resident's page
    routes: Routes
    back_off: BackOff
    rate_limit: RateLimit
    link_days: int
    accept_link_hours: float
    secrets: tuple[str, ...]
    console_url: str  # where a group is told staff act on a case (Message.for_group),
    # a person opens their case (`/v/<token>`) and a resident follows theirs (`/r/<token>`)
    case_pages: CasePageLinks  # a person's link to their case's page in the console
    notice_links: NoticeLinks  # each notice SMS's reading link (`/r/notice/<token>`)

    @cached_property
    def reach(self) -> Reachable:
        """What can be sent on: fixed at start, like the routes and gateways it comes from."""
        return self.routes.reachable(self.channels.names)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


def build_outbound(settings: NotifySettings) -> Outbound:
    routes = load_routes(settings.routes_file, settings.default_webhook, settings.base)
    messages = Messages(override=settings.template_dir)
    messages.check()
    return Outbound(
        channels=Channels.from_settings(settings, routes),
        messages=messages,
        words=load_labels(),
        links=ActionLinks(settings.link_secret, settings.public_url),
        progress_links=ProgressLinks(settings.link_secret),
        routes=routes,
        back_off=settings.back_off,
        rate_limit=settings.rate_limit,
        link_days=settings.link_days,
        accept_link_hours=settings.accept_link_hours,
        secrets=(*settings.secrets(), *routes.secrets()),
        console_url=settings.console_url,
        case_pages=CasePageLinks(settings.link_secret),
        notice_links=NoticeLinks(settings.link_secret),
    )


@dataclass(frozen=True)
class Parts:
    """What the entrypoints use: the repository and how messages leave."""

    store: NotifyStore
    outbound: Outbound

    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def recover(self) -> int:
        return self.store.recover()


def build(context: StoreContext) -> Parts:
    """notify's parts on `context`, its settings read from the service's config."""
    settings = NotifySettings.from_config(context.settings.service, context.config)
    return Parts(NotifyStore(context), build_outbound(settings))


def load_labels(path: Path = LABELS) -> Labels:
    """The words of codes (categories, teams, levels, reasons) in Chinese and English."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Labels(
        {table: {code: tuple(pair) for code, pair in rows.items()} for table, rows in raw.items()}
    )


def load_routes(path: Path, default_webhook: str, settings: Settings) -> Routes:
    """The routes file, its `${NAME}`s from the environment, checked by its schema."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        data = RoutesFile().load(_expand(raw))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"routes file {path}: {type(exc).__name__}") from None
    except ValidationError as exc:
        raise ConfigurationError(f"routes file {path}: {exc.messages}") from None

    def hotline_secret(hotline_id: str, given: str) -> str:
        return settings.secret(f"hotlines.{hotline_id}.secret", given, DEV_HOTLINE_SECRET)

    return Routes.from_document(data, default_webhook, hotline_secret)


def _expand(value: Any) -> Any:
    """`${NAME}` from the environment in every string; a name not set is an error."""
    if isinstance(value, dict):
        return {key: _expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item) for item in value]
    if not isinstance(value, str):
        return value
    expanded = os.path.expandvars(value)
    missing = UNSET.search(expanded) if "$" in expanded else None
    if missing:
        raise ConfigurationError(f"environment variable {missing.group(1)} is not set")
    return expanded
