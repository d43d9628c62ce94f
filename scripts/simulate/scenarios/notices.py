"""Notices (通知): staff tell the whole community or one building something (a water cut,
a meeting, the fund's dues) through notify; each person the roster knows to live there
with an SMS number is texted a reading link, and about half of them open it — the
simulator reads the SMS as the phone shows it (the stack's SMS gateway is the
simulator's receiver) and opens `/r/notice/<token>`'s receipt as the console's page
does. Checked, notice by notice: the people reached and the reads, against notify's
counts."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from random import Random
from typing import Any

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Agenda, Quarter
from scripts.webhook_sink import Sink

READ_LINK = re.compile(r"/r/notice/([A-Za-z0-9._-]+)")
LOOKS = 6  # at the phone for the SMS, each twice as long after the last, then given up
FIRST_LOOK = timedelta(hours=2)
WHAT = (
    ("物业基金缴纳提醒", "本年度物业基金开始缴纳，困难家庭可申请以志愿服务工时抵扣。"),
    ("停水通知", "明日9:00–12:00停水检修，请提前储水。"),
    ("居民议事会", "本周六上午在连心站召开居民议事会，欢迎参加。"),
    ("消防安全提示", "请勿在楼道堆放杂物、停放电动车，保持消防通道畅通。"),
)


def recipients(audience: str, code: str) -> list[people.Person]:
    """Who notify texts: the people the roster knows to live under `code` with a number."""
    return [
        person
        for person in people.people().values()
        if person.unit and person.sms
        and (audience == "community" or person.unit.startswith(f"{code}-"))
    ]  # fmt: skip


class Notices:
    name = "notices"

    def __init__(self, apis: Apis, rng: Random, sink: Sink):
        self.apis = apis
        self.rng = rng
        self.sink = sink
        self.truth = Truth()
        self.sent: dict[str, str] = {}  # title → notice id
        self.reached: dict[str, int] = {}  # title → people texted
        self.read: dict[str, int] = {}  # title → links opened
        self._lock = threading.Lock()

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.agenda = agenda
        self.truth.window = (quarter.starts, quarter.ends)
        buildings = sorted({unit.code.rsplit("-", 1)[0] for unit in people.units()})
        spacing = volumes.QUARTER_DAYS / volumes.NOTICES_PER_QUARTER
        for n in range(volumes.NOTICES_PER_QUARTER):
            day = quarter.first + timedelta(days=int(spacing * n))  # the first: the year's dues
            if day > quarter.last:
                break
            to_building = self.rng.random() < volumes.NOTICE_BUILDING_SHARE
            audience = ("building", self.rng.choice(buildings)) if to_building else (
                "community", COMMUNITY)  # fmt: skip
            title, text = WHAT[n % len(WHAT)]
            act = partial(
                self.send, f"{title}（{n + 1}）", text, audience, self.rng.getrandbits(32)
            )
            agenda.at(quarter.at(day, 10 + self.rng.random()), "notice", act)

    def send(self, title: str, text: str, audience: tuple[str, str], seed: int) -> None:
        rng = Random(seed)
        kind, code = audience
        body = {"community_id": COMMUNITY, "audience": kind, "code": code, "title": title,
                "body": text, "channels": ["sms"]}  # fmt: skip
        notice = self.apis.json("POST", "notify", "/v1/notices", "staff", expect=(201,),
                                idempotent=True, json=body)  # fmt: skip
        texted = recipients(kind, code)
        self.sent[title] = notice["id"]
        self.reached[title] = len(texted)
        self.read.setdefault(title, 0)
        self.truth.count("notices", at=notice["sent_at"])
        self.truth.count("reached", len(texted), at=notice["sent_at"])
        for person in texted:
            if rng.random() < volumes.NOTICE_READ_SHARE:
                after = FIRST_LOOK + timedelta(hours=rng.uniform(0, 30))
                self.agenda.after(after, "notice read",
                                  partial(self.open_link, title, person.sms, 0))  # fmt: skip

    def open_link(self, title: str, number: str, looks: int) -> None:
        """The resident opens the notice's link from their SMS, once it came."""
        token = self._link(title, number)
        if token is None:
            if looks + 1 < LOOKS:
                self.agenda.after(FIRST_LOOK * 2 ** (looks + 1), "notice read",
                                  partial(self.open_link, title, number, looks + 1))  # fmt: skip
            else:
                self.truth.count("links_never_came")
            return
        receipt = self.apis.json("POST", "notify", f"/v1/notice-receipts/{token}", "app")
        self.truth.count("read", at=receipt["read_at"])
        with self._lock:
            self.read[title] += 1

    def _link(self, title: str, number: str) -> str | None:
        with self.sink.lock:
            texts = [
                m["body"].get("text", "")
                for m in self.sink.messages
                if m["channel"] == "sms" and str(m["body"].get("to", "")).endswith(number)
            ]
        found = next((READ_LINK.search(t) for t in texts if title in t and READ_LINK.search(t)),
                     None)  # fmt: skip
        return found.group(1) if found else None

    def check(self, statistics: Any) -> Iterable[Check]:
        listed = {notice["id"]: notice for notice in statistics.notices()}
        yield Check(self.name, "notices sent", self.truth.counts["notices"], len(listed))
        counts = {title: (listed.get(notice_id) or {}).get("counts", {}).get("sms", {})
                  for title, notice_id in self.sent.items()}  # fmt: skip
        yield Check(self.name, "people reached by SMS, notice by notice", self.reached,
                    {title: shown.get("sent", 0) for title, shown in counts.items()})  # fmt: skip
        yield Check(self.name, "links read, notice by notice", self.read,
                    {title: shown.get("read", 0) for title, shown in counts.items()})  # fmt: skip
        yield Check(self.name, "read links that never came", self.truth.counts["links_never_came"],
                    None, exact=False)  # fmt: skip
