"""Each channel's rules, one line a channel: what an address on it looks like, and whom
it may reach — a person's own contact, a group of the routes file, a robot named by id,
a resident who consented. Plain Python.

The adapter that sends on a channel is a plug-in (channels/<name>.py, listed in
channels/registry.py); a channel people, groups or residents are reached on has its
line here too, so plans (plans.py) and the routes file's schema (routes.py) know it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PHONE = re.compile(r"^\+?\d{5,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$")
ROBOT = re.compile(r"^(https?://\S+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")  # a URL, or an id


@dataclass(frozen=True)
class ChannelUse:
    address: re.Pattern[str]  # what an address must look like on it
    person: bool = False  # a person's own contact may name it
    group: bool = False  # a group of the routes file may be told on it
    robot: bool = False  # a robot may be named by id (`wecom:g1-leader`), from the routes
    resident: bool = False  # a resident who consented may be told on it


USES = {
    "sms": ChannelUse(PHONE, person=True, resident=True),
    "email": ChannelUse(EMAIL, person=True, resident=True),
    "wecom": ChannelUse(ROBOT, person=True, group=True, robot=True),
    "dingtalk": ChannelUse(ROBOT, person=True, group=True, robot=True),
    "webhook": ChannelUse(URL, person=True, group=True),
}

ADDRESSES = {name: use.address for name, use in USES.items()}
PERSON_CHANNELS = tuple(name for name, use in USES.items() if use.person)
GROUP_CHANNELS = tuple(name for name, use in USES.items() if use.group)
ROBOT_CHANNELS = tuple(name for name, use in USES.items() if use.robot)
RESIDENT_CHANNELS = tuple(name for name, use in USES.items() if use.resident)
