"""What the services publish about the quarter, read once the simulated quarter is over:
metrics' statistics (the summary, the hotline report), roster's registers and ledgers,
and what reached the 12345 hotline. Each read is cached for one comparison; `fresh()`
starts another (the checks are repeated until the figures settle)."""

from __future__ import annotations

import csv
import io
import statistics as stats
from datetime import datetime
from functools import cache
from typing import Any

from scripts.simulate.apis import Apis
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Quarter
from scripts.webhook_sink import Sink

ACTIVITY_CREDIT = "HA-"  # a ledger line an attendance credits (roster's domain/activities.py)


class Statistics:
    def __init__(self, apis: Apis, quarter: Quarter, sink: Sink):
        self.apis = apis
        self.quarter = quarter
        self.sink = sink
        self._range = {
            "community_id": COMMUNITY,
            "from": quarter.first.isoformat(),
            "to": quarter.last.isoformat(),
        }

    def fresh(self) -> Statistics:
        return Statistics(self.apis, self.quarter, self.sink)

    @cache  # noqa: B019 — one Statistics per comparison, dropped after it
    def summary(self) -> dict[str, Any]:
        return self.apis.json("GET", "metrics", "/v1/stats/summary", "reader", params=self._range)

    @cache  # noqa: B019
    def hotline(self) -> dict[str, Any]:
        return self.apis.json("GET", "metrics", "/v1/stats/hotline", "reader", params=self._range)

    def hotline_replies(self, rated: bool = False) -> list[str]:
        """The order numbers of the replies (办结回复) the hotline received, one per reply: a
        delivery notify sent again (its answer lost in a busy moment) is the same reply, as
        the hotline knows by its delivery id. A closed order is answered once when it
        closes and, when the resident rates it, once more with the rating (`rated=True`
        lists those)."""
        with self.sink.lock:
            messages = [m for m in self.sink.messages if m["channel"] == "hotline"]
        replies = {
            message.get("delivery_id") or id(message): _order_no(message["body"])
            for message in messages
            if _kind(message["body"]) == "closed"
            and (message["body"].get("rating") is not None) == rated
        }
        return list(replies.values())

    def care_plans(self) -> int:
        found = self.apis.json("GET", "roster", "/v1/care/plans", "staff",
                               params={"community_id": COMMUNITY})  # fmt: skip
        return len(found["plans"])

    def activity_minutes(self, person_id: str) -> int:
        """The minutes a volunteer's own ledger holds for their attendances of the quarter."""
        ledger = self.apis.json("GET", "roster", f"/v1/people/{person_id}/hours", "staff")
        return sum(
            entry["minutes"]
            for entry in ledger["entries"]
            if entry["entry_id"].startswith(ACTIVITY_CREDIT)
            and self.quarter.starts <= datetime.fromisoformat(entry["at"]) < self.quarter.ends
        )

    @cache  # noqa: B019
    def hours_by_household(self) -> dict[str, list[dict[str, Any]]]:
        """The lines of roster's ledger by the household of the member credited (its CSV
        export, every line of the community in one read)."""
        text = self.apis.call("GET", "roster", "/v1/hours/export", "staff",
                              params={"community_id": COMMUNITY, "by": "entries"}).text  # fmt: skip
        found: dict[str, list[dict[str, Any]]] = {}
        for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
            if row["household_id"]:
                minutes, refers_to = int(row["minutes"]), row["refers_to"] or None
                line = {**row, "minutes": minutes, "refers_to": refers_to}
                found.setdefault(row["household_id"], []).append(line)
        return found

    @cache  # noqa: B019
    def fund_statements(self, year: int) -> dict[str, dict[str, int]]:
        """Every household's statement of the fund year, as estate's CSV gives it."""
        text = self.apis.call("GET", "estate", "/v1/fund/statements.csv", "staff",
                              params={"community_id": COMMUNITY, "year": year}).text  # fmt: skip
        return {
            row["household_id"]: {name: int(value.lstrip("'")) for name, value in row.items()
                                  if name.endswith(("_fen", "_minutes"))}
            for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        }  # fmt: skip

    @cache  # noqa: B019
    def notices(self) -> list[dict[str, Any]]:
        """The community's notices (a quarter holds a few), with notify's counts."""
        listed = self.apis.json("GET", "notify", "/v1/notices", "staff",
                                params={"community_id": COMMUNITY, "limit": 100})  # fmt: skip
        return listed["notices"]

    @cache  # noqa: B019
    def pact_list(self, quarter: str) -> dict[str, Any] | None:
        """The quarter's published red and black lists (None: not published)."""
        found = self.apis.call("GET", "estate", f"/v1/pact/lists/{COMMUNITY}/{quarter}", "reader",
                               expect=(200, 404))  # fmt: skip
        return found.json() if found.status_code == 200 else None

    @cache  # noqa: B019
    def property_estate(self, estate_id: str) -> dict[str, Any]:
        """An estate's evaluation: its company, open quarters and closed ones, newest first."""
        return self.apis.json("GET", "estate", f"/v1/property/estates/{estate_id}", "staff",
                              params={"community_id": COMMUNITY})  # fmt: skip

    @staticmethod
    def median(values: list[float]) -> float | None:
        return stats.median(values) if values else None


def _order_no(body: dict[str, Any]) -> str:
    return str(body.get("order_no") or (body.get("facts") or {}).get("order_no") or "")


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("kind") or (body.get("facts") or {}).get("kind") or "")
