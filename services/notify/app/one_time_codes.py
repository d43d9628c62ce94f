"""What a one-time code's SMS shares, whoever it is for (a person's sign-in code,
sign_in_codes.py; a resident's verification code, verification_codes.py): it is sent once,
at once — the code lives five minutes, so one that failed is asked for again rather than
retried — and its delivery is kept like any other (state, attempt, masked address) but for
its text, kept with the code masked. It emits no event (it is about no case) and logs
neither the code nor the number.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.notify.compose import Outbound
from services.notify.domain.delivery import (
    Contact,
    Delivery,
    DeliveryFailed,
    Recipient,
    delivery_id,
)
from services.notify.domain.messages import Message
from services.notify.store import NotifyStore

log = logging.getLogger(__name__)

MASK = "******"  # the code, in what is kept


@dataclass(frozen=True)
class CodeMessage:
    """One code's SMS: what it is (`kind`, `cause`), to whom, and its text for a code."""

    kind: str
    cause: str  # the deliveries' cause: each code is its own delivery under it
    recipient: Recipient
    contact: Contact
    community_id: str
    text: Callable[[str], Message]  # the message for a code (or for MASK: what is kept)


def send_once(store: NotifyStore, outbound: Outbound, sms: CodeMessage, code: str,
              now: datetime) -> Delivery:  # fmt: skip
    """Send `code` by `sms` once, and keep the delivery as it went, the code masked."""
    delivery = Delivery(
        id=delivery_id(f"{sms.cause}:{uuid.uuid4()}", sms.recipient, sms.contact),
        cause_id=sms.cause,
        kind=sms.kind,
        recipient=sms.recipient,
        contact=sms.contact,
        message=sms.text(MASK).to_dict(),  # what is kept; the code goes only to the channel
        created_at=now,
        community_id=sms.community_id,
        urgent=True,
    )
    try:
        response = outbound.channels.send(delivery, sms.text(code))
    except Exception as exc:  # one attempt only: the code is asked for again
        error = outbound.redact(str(exc)) if isinstance(exc, DeliveryFailed) else type(exc).__name__
        log.warning("%s delivery %s failed: %s", delivery.kind, delivery.id, error)
        sent = delivery.failed(now, error, outbound.back_off, permanent=True)
    else:
        sent = delivery.succeeded(now, outbound.redact(response))
    with store.deliveries.change(sent.id) as change:
        change.save(sent)
    return sent
