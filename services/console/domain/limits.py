"""Rate limits on asking for and trying codes (to sign in, or a resident's to verify their
number) and on residents' reports, per phone number and per client address, in fixed
windows.

A window is one small counter document keyed by the limit, who it counts and the window's
start (`<limit>:<who>:<start>`), read and changed by `_id` under its lease: nothing grows
with the requests, and a window past its end is never read again. A number that belongs
to nobody is counted exactly as a known one, so the limits tell nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # allowed per window
    window_seconds: int

    def window_id(self, who: str, now: datetime) -> str:
        start = int(now.timestamp()) // self.window_seconds * self.window_seconds
        return f"{self.name}:{who}:{start}"

    def allows(self, used: int) -> bool:
        return used < self.count


# Codes asked for one number: a few re-sends, not an SMS bomb
CODES_PER_PHONE = Limit("codes-phone", 5, 3600)
# Codes asked for from one address (a desk of several staff shares one)
CODES_PER_ADDRESS = Limit("codes-address", 30, 3600)
# Codes tried from one address, across numbers: five tries per code stop guessing one
# number; this stops walking through many
TRIES_PER_ADDRESS = Limit("tries-address", 50, 3600)

# A resident's scan-to-report page (app/residents_report.py). Its codes to a number count
# in CODES_PER_PHONE with the sign-in codes: whichever page asks, a number's owner gets at
# most five texts an hour. Per address the residents' pages count apart from the staff's
# (a community centre's Wi-Fi is no staff desk, and neither should lock the other out).
REPORT_CODES_PER_ADDRESS = Limit("report-codes-address", 30, 3600)
REPORT_TRIES_PER_ADDRESS = Limit("report-tries-address", 50, 3600)
# Reports made: a resident reports a few problems a day; a neighbourhood's shared address
# a few dozen an hour
REPORTS_PER_PHONE = Limit("reports-phone", 5, 86400)
REPORTS_PER_ADDRESS = Limit("reports-address", 30, 3600)
