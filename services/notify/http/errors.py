"""notify's error → status table, and the `http` route decorator that applies it
(lianxin.http.entrypoint.route)."""

from __future__ import annotations

from lianxin.http.entrypoint import route
from services.notify.app.sign_in_codes import NoSmsNumber
from services.notify.app.verification_codes import TooManyCodes, UnknownCommunity
from services.notify.domain.delivery import DeliveryNotFound, NotDead
from services.notify.domain.links import (
    CasesUnavailable,
    LinkExpired,
    LinkInvalid,
    LinkRevoked,
    LinkUsed,
    NotPossible,
    Unconfirmed,
    WrongPerson,
)
from services.notify.domain.notices import NoticeKeyReused, NoticeNotFound, OutsideOwnGrids

ERRORS = {
    DeliveryNotFound: (404, "not_found"),
    NotDead: (409, "not_dead"),
    LinkInvalid: (404, "link_invalid"),
    LinkExpired: (410, "link_expired"),
    LinkRevoked: (403, "link_revoked"),
    Unconfirmed: (403, "link_unconfirmed"),
    LinkUsed: (409, "link_used"),
    WrongPerson: (403, "wrong_person"),
    NotPossible: (409, "not_possible"),
    CasesUnavailable: (503, "cases_unavailable"),
    NoSmsNumber: (404, "not_found"),
    UnknownCommunity: (404, "not_found"),
    TooManyCodes: (429, "too_many_codes"),
    NoticeNotFound: (404, "not_found"),
    NoticeKeyReused: (409, "key_reused"),
    OutsideOwnGrids: (403, "outside_own_grids"),
}
http = route(ERRORS)
