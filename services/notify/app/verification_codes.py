"""Verification codes to a phone number that is nobody of the roster: a resident proving,
on the console's scan-to-report page, that the number they give for progress messages is
theirs.

Only a key with the `verify` scope (the console's residents' key) may ask, for a
community it covers that notify knows (anything else is not found). Unlike a sign-in code
it names a number, not a person, so the number itself is limited: at most
NUMBER_LIMIT codes an hour whoever asks (a second guard behind the console's own limits,
so that even a leaked key cannot flood a number). The code is sent once, at once, from
its own template (data/templates/verification_code.j2, both languages); the delivery is
kept like a sign-in code's — state, attempt, masked in the API — with the code masked in
the stored message and no event. Nothing here logs the number or the code.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from lianxin.access.actors import Actor
from services.notify.app.one_time_codes import CodeMessage, send_once
from services.notify.compose import Outbound
from services.notify.domain.delivery import Contact, Delivery, Recipient
from services.notify.domain.messages import Message
from services.notify.domain.people import RateLimit
from services.notify.store import NotifyStore

KIND = "verification_code"
CODE_MINUTES = 5  # the console's code lifetime (services/console/domain/codes.py)
NUMBER_LIMIT = RateLimit(count=5, window=timedelta(hours=1))


class UnknownCommunity(Exception):
    """A community the key does not cover, or notify does not know: not found."""


class TooManyCodes(Exception):
    """The number had its codes for the hour: 429."""


def message(outbound: Outbound, community_id: str, community: str, code: str) -> Message:
    context = {"code": code, "community": community, "minutes": CODE_MINUTES}
    return outbound.messages.render(KIND, community_id, context)


def send_code(
    store: NotifyStore,
    outbound: Outbound,
    actor: Actor,
    community_id: str,
    number: str,
    code: str,
    now: datetime,
) -> Delivery:
    """Text `code` to `number` once, unless the number had NUMBER_LIMIT codes in the last
    hour (TooManyCodes); the delivery is stored with the code masked and no event."""
    place = store.place(community_id)
    if not actor.sees(community_id) or place is None or place.get("removed"):
        raise UnknownCommunity(f"No community {community_id}.")
    community = str(place.get("name") or community_id)
    with store.numbers.change(number_key(number)) as change:
        recent = list((change.value or {}).get("sent", ()))
        if NUMBER_LIMIT.next_free(recent, now) is not None:
            raise TooManyCodes("This number had its codes for the hour.")
        change.save({"sent": [*NUMBER_LIMIT.keep(recent, now), now]})
    recipient = Recipient("resident", community_id, "居民")
    sms = CodeMessage(KIND, "verify", recipient, Contact("sms", number), community_id,
                      lambda text: message(outbound, community_id, community, text))  # fmt: skip
    return send_once(store, outbound, sms, code, now)


def number_key(number: str) -> str:
    """The number's window, by its SHA-256: the deliveries beside it keep the number itself
    (as every delivery keeps its address), so a keyed digest would hide nothing more."""
    return hashlib.sha256(f"verify:{number}".encode()).hexdigest()
