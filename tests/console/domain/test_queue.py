"""What a case's page may show: the photos the case itself names, nothing else."""

from __future__ import annotations

import pytest

from services.console.domain.queue import NotVisible, photos_of, require_photo

CASE = {
    "attachments": ["photo:ph_reported_aaaaaaaaaaaa", "https://example.org/plan.pdf"],
    "timeline": [
        {"action": "report", "attachments": []},
        {"action": "resolve", "attachments": ["photo:ph_after_bbbbbbbbbbbbbb"]},
    ],
}


def test_a_case_names_the_photos_of_its_report_and_of_its_steps_and_no_link_is_a_photo():
    assert photos_of(CASE) == {"ph_reported_aaaaaaaaaaaa", "ph_after_bbbbbbbbbbbbbb"}
    assert photos_of({}) == set()


def test_a_photo_the_case_does_not_name_is_not_found_through_it():
    assert require_photo(CASE, "ph_after_bbbbbbbbbbbbbb") == "ph_after_bbbbbbbbbbbbbb"
    for other in ("ph_someone_elses_cccccccc", "https://example.org/plan.pdf"):
        with pytest.raises(NotVisible):
            require_photo(CASE, other)
