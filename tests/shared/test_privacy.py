"""Phone numbers are masked however a resident writes them; ordinary text, dates, case
numbers, amounts and times are left as written. Plain Python, no I/O."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.privacy import mask_phone

WIDE_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
TO_ASCII = str.maketrans("０１２３４５６７８９", "0123456789")
SEPARATORS = [" ", "-", ".", "(", ")", " - ", ") ", "\u3000", "－", "．", "（", "）", "\u2014"]
PREFIXES = ["", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "86 ", "(+86) ", "＋８６ "]

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
# Text around a number: anything but digits (another digit would make it another number)
surroundings = st.text(
    alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=12
).filter(lambda text: not re.search(r"\d", text))


@st.composite
def written(draw, number_strategy=mobiles):
    """A number as a resident might type it: split anywhere by any separators, digits in
    full width or not, led by a country prefix or not."""
    number = draw(number_strategy)
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(number) - 1))))
    parts = [number[start:end] for start, end in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    text = parts[0]
    for part in parts[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + part
    if draw(st.booleans()):
        text = text.translate(WIDE_DIGITS)
    return number, draw(st.sampled_from(PREFIXES)) + text


def digits_and_stars(text: str) -> str:
    return re.sub(r"[^0-9*]", "", text.translate(TO_ASCII))


@given(written(), surroundings, surroundings)
def test_any_formatting_of_a_mobile_number_is_masked(number_and_text, before, after):
    number, text = number_and_text
    masked = mask_phone(f"{before}{text}{after}")
    assert number[:3] + "****" + number[7:] in digits_and_stars(masked)
    assert number not in re.sub(r"\D", "", masked.translate(TO_ASCII))


@given(written(), surroundings)
def test_masking_stars_digits_in_place_and_changes_nothing_else(number_and_text, around):
    _, text = number_and_text
    original = f"{around}{text}{around}"
    masked = mask_phone(original)
    assert len(masked) == len(original)
    for was, now in zip(original, masked, strict=True):
        assert now == was or (was.isdecimal() and now == "*")
    assert mask_phone(masked) == masked  # masking twice changes nothing more


@given(st.text(max_size=200))
def test_any_text_keeps_its_length_and_its_other_characters(text):
    masked = mask_phone(text)
    assert len(masked) == len(text)
    changed = zip(text, masked, strict=True)
    assert all(now == was or (was.isdecimal() and now == "*") for was, now in changed)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话138-1234-5678", "电话138-****-5678"),
        ("call 138 1234 5678 now", "call 138 **** 5678 now"),
        ("138.1234.5678", "138.****.5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("+8613812345678", "+86138****5678"),
        ("0086-13812345678", "0086-138****5678"),
        ("(+86)138-1234-5678", "(+86)138-****-5678"),
        ("座机0731-8888 6666", "座机0731-**** **66"),
        ("(0731) 88886666", "(0731) ******66"),
        ("010-12345678转", "010-******78转"),
        ("+86 731 8888 6666", "+86 731 **** **66"),
        ("物业电话 8888 6666", "物业电话 **** **66"),
        ("身份证430102199001011234", "身份证**************1234"),
        ("两个号码13812345678,13987654321", "两个号码138****5678,139****4321"),
        ("12月6日 138 1234 5678 2026-12-06", "12月6日 138 **** 5678 2026-12-06"),
    ],
)
def test_phone_numbers_and_identity_numbers_are_masked(text, masked):
    assert mask_phone(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "5栋2单元楼道灯坏了，晚上看不见台阶",
        "2026-12-06 上午发现",
        "2026.12.06",
        "2026-12-6",
        "20261206 发现",
        "2025-2026 年度",
        "案件 JX-20261121-0042 已办结",
        "维修花了3,500元",
        "赔偿12000元",
        "估价2500000元",
        "¥2500000",
        "营业时间 08:30-17:30",
        "0830-1730",
        "拨打12345或110",
        "1201室",
        "坐标 28.1360, 113.0140",
        "28.13601",
        "400-888-8888",
        "3.5万",
    ],
)
def test_ordinary_text_dates_case_numbers_amounts_and_times_stay_as_written(text):
    assert mask_phone(text) == text


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("12345", "***45"), ("88881234", "******34"), ("0731888812", "********12")],
)
def test_a_field_holding_only_a_number_is_masked_whatever_its_length(phone, masked):
    """What a phone field holds (digits, a leading +): intake accepts 5–20 digits."""
    assert mask_phone(phone) == masked
