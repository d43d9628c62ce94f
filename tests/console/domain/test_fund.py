"""The estate fund's amounts as the console's pages take and show them: yuan typed, exact
fen sent, never a float."""

from __future__ import annotations

import pytest

from services.console.domain.fund import AmountRefused, area_m2, fen_of, hours, yuan


@pytest.mark.parametrize(
    ("text", "fen"), [("537", 53_700), ("537.5", 53_750), (" 537.50 ", 53_750), ("0.01", 1)]
)
def test_yuan_typed_are_exact_fen(text, fen):
    assert fen_of(text) == fen


@pytest.mark.parametrize("text", ["12.345", "-5", "0", "abc", "", "1e3", "NaN", "100000.01"])
def test_what_is_no_amount_is_refused(text):
    with pytest.raises(AmountRefused):
        fen_of(text)


def test_nothing_is_an_amount_only_where_the_form_allows_it():
    assert fen_of("0", allow_zero=True) == 0


def test_amounts_hours_and_areas_read_as_people_write_them():
    assert (yuan(53_750), yuan(-36_000), yuan(123_456_789)) == ("537.50", "-360.00", "1,234,567.89")
    assert (hours(90), hours(100), hours(0)) == ("1.5", "1.67", "0")
    assert area_m2(8950) == "89.50"
