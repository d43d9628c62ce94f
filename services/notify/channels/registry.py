"""The channels notify sends on, and the one place that picks a delivery's adapter.

CHANNELS lists one module per channel (channels/<name>.py): each defines its adapter
(base.Channel: `name`, `send`) and `from_settings(settings)`, which builds it, or None
when this deployment cannot send on it (SMS only with a gateway, e-mail only with an
SMTP server). A new channel is one module and one line here (and, when people, groups
or residents are reached on it, its line in domain/addresses.py); compose.py reads the
registry once at start.

`Channels` resolves a delivery's address when it is sent (a group name is looked up in
the routes then, so a rotated robot key applies to retries; so is a robot a person's
contact names by id) and sends with one total budget per send (app/pipeline.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from services.notify.channels import dingtalk, email, hotline, sms, webhook, wecom
from services.notify.channels.base import Channel, Target
from services.notify.domain.addresses import ROBOT_CHANNELS
from services.notify.domain.delivery import Delivery, PermanentFailure
from services.notify.domain.messages import Message
from services.notify.domain.plans import parse_group_address
from services.notify.domain.routes import Routes
from services.notify.settings import NotifySettings

CHANNELS: tuple[ModuleType, ...] = (
    webhook,
    wecom,
    dingtalk,
    hotline,
    sms,
    email,
)


def adapters(settings: NotifySettings) -> dict[str, Channel]:
    """The adapters of the channels this deployment can send on, by name."""
    built = (module.from_settings(settings) for module in CHANNELS)
    return {adapter.name: adapter for adapter in built if adapter is not None}


class Channels:
    def __init__(
        self,
        adapters: Mapping[str, Channel],
        routes: Routes,
        signing_secret: str,
        budget_seconds: float,
    ):
        self._adapters = dict(adapters)
        self._routes = routes
        self._signing_secret = signing_secret
        self.budget_seconds = budget_seconds

    @classmethod
    def from_settings(cls, settings: NotifySettings, routes: Routes) -> Channels:
        return cls(
            adapters(settings), routes, settings.signing_secret, settings.send_budget_seconds
        )

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._adapters)

    def send(self, delivery: Delivery, message: Message) -> str:
        adapter = self._adapters.get(delivery.contact.channel)
        if adapter is None:
            raise PermanentFailure(f"channel {delivery.contact.channel} is not configured")
        return adapter.send(delivery, message, self.target(delivery), self.budget_seconds)

    def target(self, delivery: Delivery) -> Target:
        address = delivery.contact.address
        if delivery.contact.channel == "hotline":
            endpoint = self._routes.hotlines.get(address)
            if endpoint is None:
                raise PermanentFailure(f"no callback configured for hotline {address}")
            return Target(endpoint.url, endpoint.secret)
        if address.startswith("group:"):
            group = self._routes.group(*parse_group_address(address))
            if group is None:
                raise PermanentFailure(f"no route for {address}")
            fallback = self._signing_secret if group.channel == "webhook" else ""
            return Target(group.url, group.secret or fallback)
        if delivery.contact.channel in ROBOT_CHANNELS and "://" not in address:
            return self._robot(delivery, address)
        return Target(address, self._signing_secret)

    def _robot(self, delivery: Delivery, robot_id: str) -> Target:
        """A robot a person's contact names by id: from the routes of the delivery's
        community, looked up when sent. Planning passes over an id the routes do not name
        (domain/plans.py Reachable); one that is gone by the time it is sent (the routes file
        changed across a restart) fails for good and the next channel follows."""
        channel = delivery.contact.channel
        robot = self._routes.robot(delivery.community_id, channel, robot_id)
        if robot is None:
            raise PermanentFailure(f"no {channel} robot {robot_id!r} in the routes")
        return Target(robot.url, robot.secret)
