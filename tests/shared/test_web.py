"""Keys that must never reach MongoDB, and personal data that must never leave unmasked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nameko.exceptions import IncorrectSignature

from lianxin.privacy import mask_name, mask_phone
from lianxin.web import JsonHttp, forbidden_keys

# Forbidden keys


def test_a_plain_body_has_no_forbidden_keys():
    body = {"description": "楼道灯坏了", "location": {"grid_id": "g1"}, "tags": [{"a": 1}]}
    assert forbidden_keys(body) == []


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"$where": "1"}, "'$where'"),
        ({"location.grid_id": "g1"}, "'location.grid_id'"),
        ({"a\x00b": 1}, "'a\\x00b'"),
        ({"location": {"$ne": None}}, "'location.$ne'"),
        ({"tags": [{"ok": 1}, {"$gt": ""}]}, "'tags[1].$gt'"),
        ([{"$set": {}}], "'[0].$set'"),
        ({1: "x"}, "'1'"),
        ({("a", "b"): "x"}, "\"('a', 'b')\""),
    ],
)
def test_a_forbidden_key_is_named_with_its_path(body, where):
    assert forbidden_keys(body) == [f"Key not allowed: {where}"]


def test_every_forbidden_key_is_reported():
    body = {"$a": {"$b": 1}, "c": [{"d.e": 1}]}
    assert len(forbidden_keys(body)) == 3


def test_a_dollar_inside_a_key_or_in_a_value_is_allowed():
    assert forbidden_keys({"price$": "$5", "note": "a.b"}) == []


safe_keys = st.text(min_size=1, max_size=8).filter(
    lambda key: not key.startswith("$") and "." not in key and "\x00" not in key
)
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(safe_keys, children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_like)
def test_bodies_with_only_safe_keys_pass(body):
    assert forbidden_keys(body) == []


@given(json_like, st.sampled_from(["$where", "a.b", "\x00"]))
def test_a_bad_key_is_found_wherever_it_is_nested(body, bad_key):
    assert forbidden_keys({"outer": [body, {bad_key: body}]}) != []


# Masking


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits():
    assert mask_phone("13807310001") == "138****0001"


def test_a_number_inside_text_is_masked():
    assert mask_phone("call 13807310001 now") == "call 138****0001 now"


def test_an_empty_phone_stays_empty():
    assert mask_phone("") == ""


@pytest.mark.parametrize("phone", ["88881234", "0731888812", "12345"])
def test_no_phone_the_intake_accepts_is_shown_in_full(phone):
    assert mask_phone(phone) != phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张**"), ("欧阳明", "欧**"), ("Zhang", "Z****"), ("张", "张*")],
)
def test_a_name_keeps_only_its_first_character(name, masked):
    assert mask_name(name) == masked


def test_an_empty_name_stays_empty():
    assert mask_name("") == ""


@given(st.text(min_size=1))
def test_a_masked_name_hides_everything_after_the_first_character(name):
    masked = mask_name(name)
    assert masked[0] == name[0]
    assert set(masked[1:]) == {"*"}
    assert len(masked) == max(2, len(name))


def test_arguments_that_do_not_fit_the_route_method_are_refused_every_time():
    class Service:
        def route(self, request, case_id):
            pass

    entrypoint = JsonHttp("GET", "/v1/cases/<case_id>")
    entrypoint.container = SimpleNamespace(service_cls=Service)
    entrypoint.method_name = "route"
    entrypoint.check_signature(("request",), {"case_id": "c1"})
    entrypoint.check_signature(("request",), {"case_id": "c2"})  # the same shape: fits
    for _ in range(2):
        with pytest.raises(IncorrectSignature):
            entrypoint.check_signature(("request",), {"number": "c1"})
