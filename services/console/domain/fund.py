"""The estate fund (物业基金, 工时替代) as its pages show and take it: amounts in yuan to two
places on the page and in exact fen on the wire, minutes as hours, the fund year asked for.

Staff type yuan (`537`, `537.5`, `537.50`); estate keeps fen. A typed amount is parsed as
a decimal, never a float, so what staff typed is what is recorded.
"""

from __future__ import annotations

import re
from decimal import Decimal

MAX_YUAN = Decimal("100000")
AMOUNT = re.compile(r"\d{1,9}(\.\d{1,2})?")


class AmountRefused(ValueError):
    """Text that is not an amount in yuan with at most two places, above nothing."""


def fen_of(text: str, *, allow_zero: bool = False) -> int:
    """`537.50` yuan as 53,750 fen; AmountRefused for anything else (a third place, a
    sign, a word, nothing, more than 100,000 yuan)."""
    written = text.strip()
    if not AMOUNT.fullmatch(written):
        raise AmountRefused(text)
    yuan = Decimal(written)
    if (yuan == 0 and not allow_zero) or yuan > MAX_YUAN:
        raise AmountRefused(text)
    return int(yuan * 100)


def yuan(fen: int) -> str:
    """53,750 fen as `537.50`; a negative amount keeps its sign (`-360.00`)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def hours(minutes: int) -> str:
    """90 minutes as `1.5`, 100 as `1.67`: hours to at most two places, for reading."""
    shown = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    return f"{shown.normalize():f}"


def area_m2(centi_m2: int) -> str:
    """8,950 hundredths of a m² as `89.50`."""
    return f"{centi_m2 // 100}.{centi_m2 % 100:02d}"


# what the fund's templates write amounts, hours and areas with
FORMATS = {"yuan": yuan, "hours": hours, "area": area_m2}
