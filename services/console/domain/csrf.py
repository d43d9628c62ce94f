"""Cross-site request forgery: every form carries a token the attacker's page cannot read.

A signed-in form sends its session's token (domain/sessions.py). The sign-in forms come
before any session, so they use a double submit: a random value in an HttpOnly,
SameSite=Lax cookie and the same value in the form; a page of another site can neither
read the cookie nor set it. Comparisons take constant time.
"""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf"  # the forms' hidden field
SIGN_IN_COOKIE = "lx_signin"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def matches(expected: str | None, given: str | None) -> bool:
    """Whether a form's token is the one expected; a missing one never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
