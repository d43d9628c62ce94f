"""The property evaluation's staff pages as the console composes them (services.console.app
.property): the estates by roster's names, an estate roster does not list for the person's
community refused before the estate service is asked, the forms sent as the estate
service reads them, and every page and the residents' ballot rendered in both languages
with no word missing. The other services are a fake here."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.console.app import property as evaluation
from services.console.app.desk import Desk
from services.console.compose import load_labels, template_environment
from services.console.domain.property import ANSWERS, ASPECTS, COUNT_FIELDS, QUESTIONS, percent
from services.console.domain.queue import NotVisible
from services.console.domain.sessions import Scope, Session

NOW = datetime(2026, 11, 6, 2, tzinfo=UTC)
TALLY = {
    "ballots": 15,
    "satisfaction": 0.2,
    "overall": {"satisfied": 3, "basically_satisfied": 0, "dissatisfied": 12},
}
OPEN = {
    "quarter": "2026-Q4",
    "closed": False,
    "company": "金盾物业",
    "online": TALLY,
    "offline": TALLY,
    "ballots": TALLY,
    "complaints": 2,
    "households": 176,
    "complaints_per_100": 1.14,
    "level": "warning",
    "reasons": ["satisfaction_low", "complaints_high"],
    "closed_by": None,
    "closed_at": None,
    "offline_entries": [
        {"seq": 1, "tally": TALLY, "by": "p-staff-1", "at": NOW, "reverses": None, "reason": ""}
    ],
    "actions": [],
    "comments": [{"at": NOW, "overall": "dissatisfied", "comment": "电梯坏了"}],
}
CLOSED = {
    **OPEN,
    "quarter": "2026-Q3",
    "closed": True,
    "closed_by": "p-staff-1",
    "closed_at": NOW,
    "comments": [],
    "actions": [{"kind": "warning", "by": "p-staff-1", "at": NOW, "text": "约谈", "due": None}],
}
EVALUATION = {
    "community_id": "jingxiang",
    "estate_id": "jingxiang-e2",
    "company": {"name": "金盾物业", "starts_on": "2025-01-01", "ends_on": "2028-01-01"},
    "past": [{"name": "旧物业", "starts_on": "2020-01-01", "ends_on": "2025-01-01"}],
    "open": [OPEN],
    "history": [CLOSED],
    "standing": {
        "below_in_a_row": 2,
        "plan": {"text": "保洁每日两次", "due": "2027-01-31", "met_at": None},
    },
}


class Services:
    """What the property pages ask of apis.Services, answering as roster and estate would."""

    def __init__(self):
        self.sent: list[tuple] = []

    def areas(self, token, community, kind=None):
        return [
            {"code": "jingxiang-e2", "name": "井湘小区二区"},
            {"code": "jingxiang-e1", "name": "井湘小区一区"},
        ]

    def property_estates(self, token, community):
        return {
            "community_id": community,
            "quarter": "2026-Q4",
            "timezone": "Asia/Shanghai",
            "thresholds": {
                "min_satisfaction": 0.6,
                "max_complaints_per_100": 1.0,
                "min_ballots": 10,
            },
            "estates": [EVALUATION],
        }

    def property_estate(self, token, community, estate_id):
        return {**EVALUATION, "estate_id": estate_id}

    def property_offline(self, token, community, estate_id, body):
        self.sent.append(("offline", estate_id, body))

    def property_close(self, token, community, estate_id, quarter):
        self.sent.append(("close", estate_id, quarter))


def desk() -> tuple[Desk, Services]:
    services = Services()
    session = Session("d", "p-staff-1", "张**", "staff", Scope("jingxiang", None), "csrf", NOW, NOW)
    return Desk(services, "token", session), services


def test_an_estate_roster_does_not_list_for_the_community_is_refused_before_estate_is_asked():
    staff, services = desk()
    with pytest.raises(NotVisible):
        evaluation.close_quarter(staff, "elsewhere-e1", "2026-Q4")
    with pytest.raises(NotVisible):
        evaluation.estate_page(staff, "elsewhere-e1")
    assert services.sent == []
    evaluation.close_quarter(staff, "jingxiang-e2", "2026-Q4")
    assert services.sent == [("close", "jingxiang-e2", "2026-Q4")]


def test_the_paper_ballot_form_goes_as_counts_and_the_next_action_is_the_plan_met():
    staff, services = desk()
    form = dict.fromkeys(COUNT_FIELDS, 0) | {"quarter": "2026-Q4", "overall_dissatisfied": 12}
    evaluation.enter_offline(staff, "jingxiang-e2", form)
    ((_, estate, body),) = services.sent
    assert (estate, body["quarter"], body["overall"]["dissatisfied"]) == (
        "jingxiang-e2",
        "2026-Q4",
        12,
    )
    shown = evaluation.estate_page(staff, "jingxiang-e2")
    assert (shown["estate"]["name"], shown["action_quarter"], shown["wanted"]) == (
        "井湘小区二区",
        "2026-Q3",
        "plan_met",
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_property_page_renders_every_word_in_both_languages(lang):
    templates, labels = template_environment(), load_labels()
    staff, _ = desk()
    common = {
        "t": lambda key: labels.text(key, lang),
        "when": str,
        "lang": lang,
        "term": str,
        "csrf_token": "csrf",
        "errors": {"overall_satisfied": ["bad"]},
        "sent": {},
        "done": None,
        "refused": None,
        "path": "/",
        "other_lang": "en",
        "html_lang": "zh-CN",
        "zone": "Asia/Shanghai",
        "percent": percent,
        "session": staff.session,
    }
    pages = [
        templates.get_template("property/index.html").render(
            **common, **evaluation.estates_page(staff)
        ),
        templates.get_template("property/estate.html").render(
            **common,
            answers=ANSWERS,
            aspects=ASPECTS,
            questions=QUESTIONS,
            **{**evaluation.estate_page(staff, "jingxiang-e2"), "wanted": "rectification"},
        ),
        templates.get_template("property/close.html").render(
            **common, quarter="2026-Q4", **evaluation.estate_page(staff, "jingxiang-e2")
        ),
    ]
    assert "井湘小区二区" in pages[0] and 'id="close-confirm"' in pages[2]
    assert 'name="due"' in pages[1] and "error-q1-overall_satisfied" in pages[1]
    voter = {
        "quarter": "2026-Q4",
        "households": [
            {
                "household_id": "h-1",
                "building": "b1",
                "unit": "u1",
                "room": "101",
                "company": "金盾物业",
                "closed": False,
                "voted_at": None,
            }
        ],
    }
    report = type(
        "Report",
        (),
        {"places": type("Places", (), {"community_id": "jingxiang", "name": "井湘社区"})},
    )
    ballot = templates.get_template("residents/property_vote.html").render(
        **{**common, "session": None, "errors": {}},
        report=report,
        voter=voter,
        form={"phone": "1", "proof": "p"},
        masked_phone="138****0385",
        answers=ANSWERS,
        aspects=ASPECTS,
        voted_at="",
        zone_name="Asia/Shanghai",
        local=str,
    )
    assert 'id="vote-form"' in ballot and 'name="green_space"' in ballot
    for page in (*pages, ballot):
        assert re.findall(r"(?<![\w/-])(?:property|vote)_[a-z_]+", page) == []  # a label key
