"""What every channel adapter is: one method that sends a rendered message to a target
within a total budget, and says what the provider answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.notify.domain.delivery import Delivery
from services.notify.domain.messages import Message


@dataclass(frozen=True)
class Target:
    """Where a send goes: a URL, phone number or e-mail address, and the secret the
    channel signs with there (a webhook's, a DingTalk robot's, a hotline's)."""

    address: str
    secret: str = ""


class Channel(Protocol):
    name: str

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        """Send, or raise DeliveryFailed / PermanentFailure; returns the provider's answer."""
        ...
