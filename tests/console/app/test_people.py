"""The console's people from roster's `person.changed`, in any order of arrival."""

from __future__ import annotations

from services.console.app import people
from services.console.domain.phones import phone_digest
from tests.console.app.test_sign_in import person
from tests.console.conftest import SECRET


def by_phone(store, phone):
    return store.member_by_phone(phone_digest(SECRET, phone))


def test_a_person_is_found_by_the_digest_of_their_number_and_the_number_is_not_kept(memory_store):
    people.on_person_changed(memory_store, SECRET, person())
    assert by_phone(memory_store, "13807310700").person_id == "p-staff"
    stored = memory_store.people.collection.find_one({"_id": "p-staff"})
    assert "13807310700" not in repr(stored) and "彭国庆" not in repr(stored)


def test_an_older_version_changes_nothing(memory_store):
    people.on_person_changed(memory_store, SECRET, person(version=3, roles=("staff",)))
    people.on_person_changed(memory_store, SECRET, person(version=2, roles=("volunteer",)))
    assert memory_store.member("p-staff").console_role == "staff"


def test_a_new_number_replaces_the_old_in_the_index(memory_store):
    people.on_person_changed(memory_store, SECRET, person(version=1))
    people.on_person_changed(memory_store, SECRET, person(version=2, phone="13900001111"))
    assert by_phone(memory_store, "13807310700") is None
    assert by_phone(memory_store, "13900001111").person_id == "p-staff"


def test_a_number_that_moved_to_someone_else_stays_theirs(memory_store):
    people.on_person_changed(memory_store, SECRET, person("p-new", version=5))
    people.on_person_changed(memory_store, SECRET, person("p-old", version=4))
    assert by_phone(memory_store, "13807310700").person_id == "p-new"
