"""Sign-in codes for the staff console: the one message whose text is never kept.

Only a key with the `sign_in` scope (the console's) may ask, for a person of a community
it covers (anyone else is as unknown as a person notify never heard of), and it names a
person, never a number: notify sends to the person's own first SMS contact from its
replica of roster's people, so the console's key cannot be used to text anyone else.
The code is sent once and kept masked, as every one-time code is (one_time_codes.py).
"""

from __future__ import annotations

from datetime import datetime

from lianxin.access.actors import Actor
from lianxin.privacy import mask_name
from services.notify.app.one_time_codes import CodeMessage, send_once
from services.notify.compose import Outbound
from services.notify.domain.delivery import Contact, Delivery, Recipient
from services.notify.domain.messages import Message
from services.notify.domain.people import Person
from services.notify.store import NotifyStore

KIND = "sign_in_code"


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
    recipient = Recipient("person", person_id, mask_name(person.display_name))
    sms = CodeMessage(KIND, "sign-in", recipient, Contact("sms", number), person.community_id,
                      message)  # fmt: skip
    return send_once(store, outbound, sms, code, now)


def _sms_number(person: Person | None) -> str | None:
    contacts = person.contacts if person is not None else ()
    return next((c.address for c in contacts if c.channel == "sms"), None)
