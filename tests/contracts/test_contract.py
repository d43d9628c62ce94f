"""How a contract is read: a consumer names what it needs, and gets the rest when the
event carries it; it can only need what the contract guarantees. Plain Python, no I/O."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError, fields

from lianxin.contracts.contract import Contract, Payload, Reader, guaranteed


class Point(Payload):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class Node(Payload):
    code = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    polygon = fields.List(fields.Nested(Point), required=True)
    note = fields.String()


class Changed(Payload):
    node = fields.Nested(Node, required=True)
    version = fields.Integer(required=True, strict=True)
    hint = fields.Nested(Point)


CONTRACT = Contract("roster", {("area.changed", 1): Changed()})
NODE = {"code": "g1", "name": "第一网格", "polygon": [{"lat": 28.1, "lon": 113.0}]}


def reading(*needs: str):
    (made,) = CONTRACT.reading("area.changed", needs=needs)
    return made


def test_what_the_producer_guarantees_is_what_is_required_all_the_way_down():
    assert guaranteed(Changed()) == {
        "node",
        "node.code",
        "node.name",
        "node.polygon",
        "node.polygon.lat",
        "node.polygon.lon",
        "version",
    }


@pytest.mark.parametrize("need", ["node.note", "hint", "hint.lat", "colour"])
def test_a_consumer_cannot_need_what_the_contract_does_not_guarantee(need):
    with pytest.raises(ValueError, match="does not guarantee"):
        reading(need)


def test_a_field_the_consumer_does_not_need_may_be_missing_and_stays_missing():
    assert reading("node", "node.code").load({"node": {"code": "g1"}}) == {"node": {"code": "g1"}}


def test_unknown_fields_are_left_out_at_every_level():
    read = reading("node.code").load({"node": {**NODE, "colour": "red"}, "version": 2, "x": 1})
    assert read == {"node": NODE, "version": 2}


def test_what_the_consumer_needs_must_be_there():
    with pytest.raises(ValidationError) as refused:
        reading("node.code", "version").load({"node": {"code": "g1"}})
    assert refused.value.messages == {"version": ["Missing data for required field."]}


def test_a_nested_need_holds_wherever_what_holds_it_is_there():
    every_point_whole = reading("node", "node.polygon.lat", "node.polygon.lon")
    assert every_point_whole.load({"node": {"code": "g1"}}) == {"node": {"code": "g1"}}
    with pytest.raises(ValidationError) as refused:
        every_point_whole.load({"node": {"polygon": [{"lat": 28.1}]}})
    assert refused.value.messages == {
        "node": {"polygon": {0: {"lon": ["Missing data for required field."]}}}
    }
    with pytest.raises(ValidationError) as refused:
        reading("node", "node.code").load({"version": 2})
    assert "node" in refused.value.messages
    assert reading("node.code").load({"version": 2}) == {"version": 2}  # node not needed


def test_a_needed_field_the_contract_lets_be_null_is_refused_when_null():
    with pytest.raises(ValidationError) as refused:
        reading("node", "node.name").load({"node": {"name": None}})
    assert refused.value.messages == {"node.name": ["Field may not be null."]}
    assert reading("node.name").load({"version": 2}) == {"version": 2}
    read = reading("node", "node.code").load({"node": {"code": "g1", "name": None}})
    assert read["node"]["name"] is None


def test_a_field_that_is_there_is_checked_whether_needed_or_not():
    with pytest.raises(ValidationError) as refused:
        reading("node.code").load({"node": {"code": "g1"}, "version": "2"})
    assert "version" in refused.value.messages
    with pytest.raises(ValidationError):
        reading("node.code").load({"node": {"code": "g1", "polygon": [{"lat": "north"}]}})


def test_a_consumer_reads_an_event_type_once():
    with pytest.raises(ValueError, match="read twice"):
        Reader(reading("node.code"), reading("version"))


def test_a_reader_skips_an_event_it_does_not_read_only_when_told_to():
    reader = Reader(reading("node.code"))
    event = CONTRACT.new_event(
        "area.changed", {"node": NODE, "version": 1}, correlation_id="c"
    ).to_message()
    assert reader.read_if_known({**event, "type": "area.renamed"}) is None
    with pytest.raises(ValidationError) as refused:
        reader.read({**event, "type": "area.renamed"})
    assert "type" in refused.value.messages
    assert reader.read(event).payload == {"node": NODE, "version": 1}


def test_a_producer_cannot_emit_an_event_without_what_the_contract_guarantees():
    with pytest.raises(ValidationError) as refused:
        CONTRACT.new_event("area.changed", {"node": NODE}, correlation_id="c")
    assert "version" in refused.value.messages
