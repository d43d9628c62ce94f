"""Sign-in codes for the staff console: the one message whose text is never kept.

Only a key with the `sign_in` scope (the console's) may ask, for a person of a community
it covers (anyone else is as unknown as a person notify never heard of), and it names a
person, never a number: notify sends to the person's own first SMS contact from its
replica of roster's people, so the console's key cannot be used to text anyone else.
The code is sent once, at once (it lives five minutes: the person asks for another rather
than wait for a retry), and the delivery is kept like any other — state, attempt, masked
address — except that the stored message holds the code masked, and no event is emitted
(it is about no case). Nothing here logs the code.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from lianxin.access.actors import Actor
from lianxin.privacy import mask_name
from services.notify.compose import Outbound
from services.notify.domain.delivery import (
    Contact,
    Delivery,
    DeliveryFailed,
    Recipient,
    delivery_id,
)
from services.notify.domain.messages import Message
from services.notify.domain.people import Person
from services.notify.store import NotifyStore

log = logging.getLogger(__name__)

KIND = "sign_in_code"
MASK = "******"


class NoSmsNumber(Exception):
    """The person is unknown here, inactive, or has no SMS contact."""


def message(code: str) -> Message:
    """The SMS text, in Chinese then English; with `MASK` for the code, what is kept."""
    zh = f"【连心】您的登录验证码为 {code}，5分钟内有效，请勿告诉他人。"
    en = f"Lianxin sign-in code: {code}. Valid for 5 minutes; tell no one."
    return Message(
        subject="连心登录验证码 / Lianxin sign-in code",
        text=f"{zh}\n\n{en}",
        html="",
        short=f"{zh} {en}",
    )


def send_code(
    store: NotifyStore,
    outbound: Outbound,
    actor: Actor,
    person_id: str,
    code: str,
    now: datetime,
) -> Delivery:
    """Send `code` to the person's own SMS number, once; the delivery is stored with the
    code masked and no event. NoSmsNumber when there is nobody active to send it to among
    the communities `actor` covers."""
    person = store.current_person(person_id)
    number = _sms_number(person)
    if person is None or not person.active or number is None or not actor.sees(person.community_id):
        raise NoSmsNumber(f"No SMS number for person {person_id}.")
    contact = Contact("sms", number)
    recipient = Recipient("person", person_id, mask_name(person.display_name))
    delivery = Delivery(
        id=delivery_id(f"sign-in:{uuid.uuid4()}", recipient, contact),  # each code its own
        cause_id="sign-in",
        kind=KIND,
        recipient=recipient,
        contact=contact,
        message=message(MASK).to_dict(),  # what is kept; the code goes only to the channel
        created_at=now,
        community_id=person.community_id,
        urgent=True,
    )
    try:
        response = outbound.channels.send(delivery, message(code))
    except Exception as exc:  # one attempt only: the person asks for another code
        error = outbound.redact(str(exc)) if isinstance(exc, DeliveryFailed) else type(exc).__name__
        log.warning("sign-in code delivery %s failed: %s", delivery.id, error)
        sent = delivery.failed(now, error, outbound.back_off, permanent=True)
    else:
        sent = delivery.succeeded(now, outbound.redact(response))
    with store.deliveries.change(sent.id) as change:
        change.save(sent)
    return sent


def _sms_number(person: Person | None) -> str | None:
    contacts = person.contacts if person is not None else ()
    return next((c.address for c in contacts if c.channel == "sms"), None)
