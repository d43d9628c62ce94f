"""Keys that must never reach MongoDB, and personal data that must never leave unmasked."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields
from nameko.exceptions import IncorrectSignature
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from lianxin.access.actors import Unauthenticated
from lianxin.http.entrypoint import HttpRoute
from lianxin.http.reading import (
    MAX_DEPTH,
    REFUSED_CHARACTER,
    forbidden_keys,
    read_json,
    read_query,
    refused_text,
)
from lianxin.http.responses import json_response
from lianxin.instrumentation import HTTP_REQUESTS
from lianxin.privacy import mask_name, mask_phone

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
    lambda key: not key.startswith("$") and "." not in key and not REFUSED_CHARACTER.search(key)
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


# Nesting and control characters


class Anything(Schema):
    """A schema that takes any body: what read_json refuses, it refuses before the schema."""

    class Meta:
        unknown = "include"

    description = fields.Raw()


def json_request(raw: bytes | str) -> Request:
    return Request(
        EnvironBuilder(method="POST", data=raw, content_type="application/json").get_environ()
    )


def refused(raw: bytes | str) -> dict:
    with pytest.raises(ValidationError) as error:
        read_json(json_request(raw), Anything())
    return error.value.messages


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 20_000])
@pytest.mark.parametrize("brackets", ["[]", "{}"])
def test_a_body_nested_too_deep_is_a_field_error_not_a_crash(depth, brackets):
    opening, closing = brackets
    inner = '"a"' if opening == "[" else ""
    if opening == "{":
        raw = '{"a":' * depth + "1" + "}" * depth
    else:
        raw = opening * depth + inner + closing * depth
    assert refused(raw) == {"_body": [f"Nested deeper than {MAX_DEPTH} levels."]}


def test_a_body_as_deep_as_allowed_is_read():
    raw = '{"description": ' + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "}"
    assert read_json(json_request(raw), Anything())["description"] is not None


@pytest.mark.parametrize("char", ["u0000", "u0007", "u001b", "u007f", "u0085", "u009f"])
def test_a_control_character_in_text_is_refused_naming_the_field(char):
    char = "\\" + char  # as JSON escapes it: a raw one below U+0020 is not valid JSON
    body = (
        f'{{"description": "楼道{char}灯坏了", "location": {{"address": "5栋{char}"}},'
        f' "attachments": ["https://a.example/1.jpg", "x{char}"]}}'
    )
    message = "No control characters: only tab, line feed and carriage return."
    assert refused(body) == {
        "description": [message],
        "location": {"address": [message]},
        "attachments": {1: [message]},
    }


def test_a_lone_surrogate_is_refused():
    assert set(refused('{"description": "a\\ud800b"}')) == {"description"}


def test_tab_and_newlines_are_kept_in_free_text():
    body = {"description": "第一行\r\n第二行\n\t缩进"}
    assert read_json(json_request(json.dumps(body)), Anything()) == body


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=50))
def test_text_without_control_characters_passes(text):
    assert refused_text({"description": text, "tags": [text]}) == {}


@given(
    st.text(max_size=20),
    st.characters(whitelist_categories=("Cc", "Cs")).filter(lambda c: c not in "\t\n\r"),
    st.text(max_size=20),
)
def test_any_control_character_anywhere_is_found(before, char, after):
    assert refused_text({"outer": [{"note": before + char + after}]}) == {
        "outer": {0: {"note": ["No control characters: only tab, line feed and carriage return."]}}
    }


def test_a_control_character_in_a_query_parameter_is_refused_naming_it():
    request = Request(EnvironBuilder(query_string="grid_id=g%001&state=open").get_environ())
    with pytest.raises(ValidationError) as error:
        read_query(request, Anything())
    assert error.value.messages == {
        "grid_id": ["No control characters: only tab, line feed and carriage return."]
    }


def test_a_control_character_in_a_key_is_a_forbidden_key():
    assert forbidden_keys({"a\x1bb": 1}) == ["Key not allowed: 'a\\x1bb'"]


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

    entrypoint = HttpRoute("GET", "/v1/cases/<case_id>")
    entrypoint.container = SimpleNamespace(service_cls=Service)
    entrypoint.method_name = "route"
    entrypoint.check_signature(("request",), {"case_id": "c1"})
    entrypoint.check_signature(("request",), {"case_id": "c2"})  # the same shape: fits
    for _ in range(2):
        with pytest.raises(IncorrectSignature):
            entrypoint.check_signature(("request",), {"number": "c1"})


def test_a_json_answer_tells_browsers_not_to_guess_its_type():
    """Text a resident wrote rides in JSON: a browser must never take it for a page."""
    answer = json_response(200, {"description": "<script>alert(1)</script>"}, {"X-A": "1"})
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-A"] == "1" and answer.mimetype == "application/json"


# The pipeline's answers, for the JSON API's routes


def test_an_unknown_key_is_a_401_that_names_the_scheme():
    entrypoint = HttpRoute("GET", "/v1/cases", scope="read")
    answer = entrypoint.render_failure(entrypoint.failure(Unauthenticated("No key.")), None)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'ApiKey realm="lianxin", header="X-Api-Key"'
    assert json.loads(answer.get_data()) == {
        "error": {"code": "unauthenticated", "message": "No key."}
    }


def test_field_errors_travel_in_the_error_and_a_fault_tells_nothing_of_itself():
    entrypoint = HttpRoute("POST", "/v1/cases")
    invalid = entrypoint.failure(ValidationError({"description": ["Missing data."]}))
    assert (invalid.status, invalid.details) == (
        400,
        {"fields": {"description": ["Missing data."]}},
    )
    fault = entrypoint.render_failure(entrypoint.failure(KeyError("secret")), None)
    assert fault.status_code == 500 and b"secret" not in fault.get_data()


def test_a_body_over_the_limit_is_refused_before_it_is_read_and_counted():
    entrypoint = HttpRoute("POST", "/v1/cases")
    entrypoint.max_body_bytes = 10
    counted = HTTP_REQUESTS.labels("POST", "/v1/cases", 413)
    before = counted._value.get()
    environ = EnvironBuilder(method="POST", data="x" * 11, content_type="application/json")
    answer = entrypoint.handle_request(Request(environ.get_environ()))
    assert answer.status_code == 413 and counted._value.get() == before + 1
    assert json.loads(answer.get_data())["error"]["code"] == "body_too_large"
