"""Phone numbers as a person proves them: one written form, and a keyed digest.

A service that must find someone by their number stores only an HMAC of the normalised
number under its own secret: the console (its index of people by phone, its sign-in codes
and rate limits), estate (a household's numbers, matched when a resident proves one by SMS
code). A copy of the database does not give the numbers back (a plain SHA-256 of the few
billion mainland mobile numbers could be reversed by trying them all).
"""

from __future__ import annotations

import hashlib
import hmac
import re

SEPARATORS = re.compile(r"[\s\-.()\u2010-\u2015\u2212\uff08\uff09\uff0d\uff0e]")
MOBILE = re.compile(r"1[3-9]\d{9}")
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋", "0123456789+")


def normalized(text: str) -> str | None:
    """The 11-digit mainland mobile number `text` writes (spaces, hyphens, full-width digits
    and a +86 or 0086 prefix allowed), or None when it is not one."""
    digits = SEPARATORS.sub("", text.translate(FULL_WIDTH_DIGITS))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if MOBILE.fullmatch(digits) else None


def phone_digest(secret: str, phone: str) -> str:
    """The keyed digest of a normalised number: what a service stores in its place."""
    return hmac.new(secret.encode(), b"phone:" + phone.encode(), hashlib.sha256).hexdigest()
