"""Cases' words on the console's pages: every state and every timeline action in both
languages, and a word cases adds later shown as cases sent it rather than as a key."""

from __future__ import annotations

import pytest

from lianxin.contracts.cases import CASE_STATES
from services.cases.domain.case import ACTIONS
from services.console.compose import load_labels
from services.console.domain.labels import LANGUAGES, Labels

# The timeline entries cases writes without a change of state (domain.case.noted)
NOTED = ("report", "suspend", "resume", "request_extension", "decide_extension", "overdue",
         "duplicate", "note", "appointment", "outcome", "follow_up", "party")  # fmt: skip
LABELS = load_labels()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_case_state_and_timeline_action_has_its_word(language):
    assert all(LABELS.table[f"state_{state}"][language] for state in CASE_STATES)
    assert all(LABELS.table[f"action_{action}"][language] for action in {*ACTIONS, *NOTED})


def test_the_words_are_chinese_by_default_and_english_on_request():
    assert LABELS.term("state", "closed", "zh") == "已结案"
    assert LABELS.term("state", "rejected", "en") == "returned"
    assert LABELS.term("action", "reject", "zh") == "退单"


def test_a_word_the_table_does_not_know_shows_as_cases_sent_it():
    labels = Labels({"state_closed": {"zh": "已结案", "en": "closed"}})
    assert labels.term("state", "archived", "zh") == "archived"
    assert labels.term("action", "closed", "zh") == "closed"  # another kind's word is not taken


def test_no_word_is_defined_twice_in_the_labels_file():
    """YAML keeps the last of two equal keys without a word: a second definition would
    silently replace the first."""
    from collections import Counter
    from pathlib import Path

    import services.console

    text = (Path(services.console.__file__).parent / "data" / "labels.yaml").read_text("utf-8")
    keys = Counter(line.split(":", 1)[0] for line in text.splitlines() if line[:1].isalpha())
    assert [key for key, count in keys.items() if count > 1] == []
def test_a_label_split_by_an_unquoted_comma_stops_the_service():
    split = Labels({"per_1000": {"zh": "每千户", "en": "Per 1", "000 households": None}})
    with pytest.raises(ValueError, match="quote it"):
        split.check()


def test_the_process_s_one_table_is_read_only_at_every_level():
    """load_labels is cached: every route of a console process holds the same table, so a
    route that wrote to it would change every page."""
    labels = load_labels()
    assert labels is load_labels()
    with pytest.raises(TypeError):
        labels.table["app_name"] = {"zh": "改", "en": "changed"}  # type: ignore[index]
    with pytest.raises(TypeError):
        labels.table["app_name"]["zh"] = "改"  # type: ignore[index]
    with pytest.raises(TypeError):
        del labels.table["app_name"]  # type: ignore[attr-defined]
    assert labels.text("app_name", "zh") == "连心工作台"
