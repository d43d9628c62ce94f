"""How messages leave: channels, templates, labels, action links, routes and the retry and
rate policies, built once at start from the settings (the composition root's half for
notify; service.py holds the other half)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from nameko.extensions import DependencyProvider

from lianxin.backoff import BackOff
from services.notify.channels import Channels
from services.notify.domain import redact
from services.notify.facts import Labels
from services.notify.links import ActionLinks
from services.notify.messages import Messages
from services.notify.routes import Routes
from services.notify.routing import RateLimit, Reachable
from services.notify.settings import NotifySettings


@dataclass(frozen=True)
class Outbound:
    channels: Channels
    messages: Messages
    words: Labels
    links: ActionLinks
    routes: Routes
    back_off: BackOff
    rate_limit: RateLimit
    link_days: int
    accept_link_hours: float
    secrets: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> Outbound:
        routes = Routes.load(settings.routes_file, settings.default_webhook, settings.base)
        messages = Messages(override=settings.template_dir)
        messages.check()
        return cls(
            channels=Channels.from_settings(settings, routes),
            messages=messages,
            words=Labels.load(),
            links=ActionLinks(settings.link_secret, settings.public_url),
            routes=routes,
            back_off=settings.back_off,
            rate_limit=settings.rate_limit,
            link_days=settings.link_days,
            accept_link_hours=settings.accept_link_hours,
            secrets=(*settings.secrets(), *routes.secrets()),
        )

    @cached_property
    def reach(self) -> Reachable:
        """What can be sent on: fixed at start, like the routes and gateways it comes from."""
        return self.routes.reachable(self.channels.names)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


class OutboundProvider(DependencyProvider):
    """Reads and checks the settings at container start: a missing or default secret, an
    unset `${VAR}` in the routes file or a bad template stops the service here."""

    def setup(self) -> None:
        self.settings = NotifySettings.from_config(
            self.container.service_name, self.container.config
        )
        self.outbound = Outbound.from_settings(self.settings)

    def get_dependency(self, worker_ctx) -> Outbound:
        return self.outbound
