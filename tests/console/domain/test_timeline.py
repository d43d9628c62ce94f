"""Cases' fixed sentences on a case's timeline said in people's words, and cases' refusals
said as the page says them."""

from __future__ import annotations

import pytest

from services.console.compose import load_labels
from services.console.domain.case_actions import refusal_of
from services.console.domain.timeline import FIXED_NOTES, said, said_reason

LABELS = load_labels()


def words(language: str):
    return lambda key: LABELS.text(key, language)


@pytest.mark.parametrize(
    ("action", "note", "zh", "en"),
    [
        ("dispatch", "offered to 王** (attempt 2)", "派给 王**（第 2 次）",
         "offered to 王** (attempt 2)"),
        ("triage", "facility.lighting (high)", "facility.lighting（优先级：高）",
         "facility.lighting (priority high)"),
        ("assign", "assigned to 李*", "指派给 李*", "assigned to 李*"),
        ("overdue", "resolve time limit passed", "已超过办结时限", "the resolve time limit passed"),
        ("escalate", "grid_leader: accept time limit passed", "升级至网格长：已超过接单时限",
         "to grid leader: the accept time limit passed"),
        ("escalate", "community_staff: emergency (gas): call 119",
         "升级至社区工作人员：紧急情况（燃气泄漏），请拨打 119",
         "to community staff: an emergency (gas leak), call 119"),
        ("decide_extension", "approved", "延期已批准", "extension approved"),
        ("merge", "duplicate of JX-20260306-0001", "与 JX-20260306-0001 重复",
         "a duplicate of JX-20260306-0001"),
    ],
)  # fmt: skip
def test_cases_fixed_sentences_are_said_in_either_language(action, note, zh, en):
    step = {"action": action, "note": note}
    assert (said(step, words("zh")), said(step, words("en"))) == (zh, en)


def test_the_triage_note_says_the_category_by_the_name_the_page_passes():
    step = {"action": "triage", "note": "facility.streetlight (normal)"}
    zh, en = {"facility.streetlight": "路灯损坏"}, {"facility.streetlight": "Street light"}
    assert said(step, words("zh"), zh) == "路灯损坏（优先级：普通）"
    assert said(step, words("en"), en) == "Street light (priority normal)"
    unnamed = said(step, words("zh"), {"facility.lighting": "灯"})
    assert unnamed == "facility.streetlight（优先级：普通）"  # a code it lacks: as cases wrote it


def test_an_escalations_fixed_reason_is_said_and_a_persons_reason_shown_as_written():
    assert said_reason("emergency (fire): call 119", words("zh")) == "紧急情况（火情），请拨打 119"
    assert said_reason("accept time limit passed", words("en")) == "the accept time limit passed"
    assert said_reason("物业不配合", words("en")) == "物业不配合"


def test_a_persons_note_and_a_sentence_not_known_yet_show_as_written():
    assert said({"action": "verify", "note": "approved"}, words("zh")) == "approved"
    assert said({"action": "dispatch", "note": "offered again"}, words("zh")) == "offered again"
    assert said({"action": "note", "note": ""}, words("zh")) == ""


def test_every_fixed_sentence_has_its_words_in_both_languages():
    for _, _, label in FIXED_NOTES:
        assert LABELS.table[label]["zh"] and LABELS.table[label]["en"]


def test_a_refusal_names_the_forms_field_and_a_merge_target_not_found():
    refused = refusal_of("triage", 400, "invalid_request", None, {"location.area_code": ["x"]})
    assert refused.fields == {"place": ["x"]} and refused.label == "refused_invalid_request"
    missing = refusal_of("merge", 404, "not_found", None, {})
    assert missing.fields == {"into": ["not_found"]} and missing.label == "refused_not_found"
    odd = refusal_of("note", 418, "teapot", None, {})
    assert odd.label == "refused_other"
    busy = refusal_of("suspend", 409, "invalid_transition", "closed", {})
    text = LABELS.text(busy.label, "zh").format(state=LABELS.term("state", busy.state, "zh"))
    assert "已结案" in text
