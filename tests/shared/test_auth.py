"""Access control as plain Python: keys, scopes, communities, person tokens, secrets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import itsdangerous.timed
import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from lianxin.access.actors import ALL_COMMUNITIES, Actor, Forbidden, Unauthenticated
from lianxin.access.keys import (
    KeyRecord,
    key_from_headers,
    new_key,
    parse_key,
    secret_hash,
)
from lianxin.access.replicas import KEY_CHANGES
from lianxin.access.tokens import TOKEN_SALT, PersonClaims, PersonTokens, combine
from lianxin.config import InsecureSecret, Settings
from lianxin.contracts.cases import CASES

SECRET = "a-token-secret-for-tests-0123"


def record(**overrides) -> KeyRecord:
    issued = new_key()
    fields = {
        "id": issued.id,
        "name": "hotline",
        "secret_sha256": secret_hash(issued.secret),
        "scopes": ("report", "read"),
        "communities": ("jingxiang",),
    }
    return KeyRecord(**{**fields, **overrides})


def actor(scopes=("read",), communities=("jingxiang",), **person) -> Actor:
    return Actor("k1", "app", frozenset(scopes), frozenset(communities), **person)


# Keys


def test_an_issued_key_parses_back_to_its_id_and_secret_and_only_the_hash_is_kept():
    issued = new_key()
    assert parse_key(issued.text) == (issued.id, issued.secret)
    stored = record(id=issued.id, secret_sha256=secret_hash(issued.secret))
    assert stored.matches(issued.secret)
    assert issued.secret not in str(stored.to_document())


@pytest.mark.parametrize(
    "text", ["", "lx_", "lx_abc", "lx__secret", "xx_abc_secret", "lx_abc_" + "s" * 300]
)
def test_malformed_keys_do_not_parse(text):
    assert parse_key(text) is None


def test_a_wrong_secret_does_not_match():
    issued = new_key()
    stored = record(id=issued.id, secret_sha256=secret_hash(issued.secret))
    assert not stored.matches(issued.secret + "x")
    assert not stored.matches(new_key().secret)


def test_keys_are_read_from_x_api_key_or_an_apikey_authorization():
    assert key_from_headers({"X-Api-Key": "lx_a_b"}) == "lx_a_b"
    assert key_from_headers({"Authorization": "ApiKey lx_a_b"}) == "lx_a_b"
    assert key_from_headers({"Authorization": "Bearer lx_a_b"}) is None
    assert key_from_headers({}) is None


def test_a_key_change_event_carries_its_state_and_hash_but_no_secret():
    issued = new_key()
    stored = record(id=issued.id, secret_sha256=secret_hash(issued.secret))
    payload = {k: v for k, v in stored.to_document().items() if k != "_id"}
    event = CASES.new_event("apikey.changed", {"id": stored.id, **payload}, correlation_id="c")
    assert issued.secret not in str(event.to_message())
    assert KeyRecord.from_payload(KEY_CHANGES.read(event.to_message()).payload) == stored


# Scopes and communities


def test_an_actor_has_its_scopes_and_admin_has_every_scope():
    reader = actor(scopes=("read",))
    assert reader.can("read") and not reader.can("act")
    with pytest.raises(Forbidden):
        reader.require("report")
    assert all(actor(scopes=("admin",)).can(scope) for scope in ("report", "read", "act"))


def test_a_route_of_several_scopes_takes_a_key_with_any_one_of_them():
    """Withdraw: the reporter's `report` key, or staff's `act` key; a reader has neither."""
    actor(scopes=("report",)).require(("report", "act"))
    actor(scopes=("act",)).require(("report", "act"))
    with pytest.raises(Forbidden, match="report or act"):
        actor(scopes=("read",)).require(("report", "act"))


def test_an_actor_sees_its_communities_or_all_of_them():
    one = actor(communities=("jingxiang",))
    assert one.sees("jingxiang") and not one.sees("jinning")
    assert one.visible_communities() == frozenset({"jingxiang"})
    every = actor(communities=(ALL_COMMUNITIES,))
    assert every.sees("jinning") and every.visible_communities() is None


def test_a_key_covers_communities_within_its_own_and_all_only_when_it_has_all():
    one = actor(communities=("jingxiang", "jinning"))
    assert one.covers(["jingxiang"]) and one.covers(["jingxiang", "jinning"])
    assert not one.covers(["xinning"]) and not one.covers([ALL_COMMUNITIES])
    assert actor(communities=(ALL_COMMUNITIES,)).covers([ALL_COMMUNITIES, "x"])


def test_a_report_may_claim_only_the_channels_of_its_key_and_the_hotline_only_when_bound():
    app = actor(scopes=("report",), channels=frozenset({"app", "wechat"}))
    assert app.may_claim("app") and app.may_claim("wechat") and not app.may_claim("patrol")
    assert not actor(scopes=("report",), channels=frozenset({"hotline"})).may_claim("hotline")
    bound = actor(scopes=("report",), channels=frozenset({"hotline"}), hotline_id="cs-12345")
    assert bound.may_claim("hotline") and not bound.may_claim("app")
    assert actor(scopes=("admin",)).may_claim("hotline")  # admin holds everything


def test_a_person_through_a_key_keeps_the_keys_channels_and_hotline():
    key = actor(scopes=("report",), channels=frozenset({"hotline"}), hotline_id="cs-12345")
    person = combine(key, PersonClaims("p", "staff", frozenset({"jingxiang"}), None))
    assert person.channels == key.channels and person.hotline_id == "cs-12345"


def test_roles_are_required_of_people_but_an_unbound_admin_key_passes():
    staff = actor(scopes=("act",), person_id="p-1", role="staff")
    staff.require_role("staff", "grid_leader")
    with pytest.raises(Forbidden):
        actor(scopes=("act",), person_id="p-2", role="volunteer").require_role("staff")
    actor(scopes=("admin",)).require_role("staff")
    with pytest.raises(Forbidden):
        actor(scopes=("act",)).require_role("staff")  # an integration key is no person


@given(
    st.sets(st.sampled_from(["a", "b", "c", ALL_COMMUNITIES]), min_size=1),
    st.sets(st.sampled_from(["a", "b", "c", ALL_COMMUNITIES]), min_size=1),
)
def test_a_person_through_a_key_sees_only_what_both_allow(key_communities, token_communities):
    key = actor(scopes=("act",), communities=tuple(key_communities))
    person = combine(key, PersonClaims("p", "volunteer", frozenset(token_communities), None))
    for community in ("a", "b", "c"):
        allowed_by_key = ALL_COMMUNITIES in key_communities or community in key_communities
        allowed_by_token = ALL_COMMUNITIES in token_communities or community in token_communities
        assert person.sees(community) == (allowed_by_key and allowed_by_token)
    assert person.person_id == "p" and person.scopes == key.scopes


def test_a_person_bound_key_cannot_carry_someone_elses_token():
    bound = actor(scopes=("act",), person_id="p-1", role="volunteer")
    with pytest.raises(Unauthenticated):
        combine(bound, PersonClaims("p-2", "staff", frozenset({"*"}), None))


# Person tokens


def test_a_person_token_round_trips_with_the_moment_of_its_issue():
    tokens = PersonTokens(SECRET)
    before = datetime.now(UTC)
    claims = tokens.verify(tokens.issue("p-1", "staff", ["jingxiang"]), max_age_seconds=60)
    assert (claims.person_id, claims.role, claims.communities) == (
        "p-1",
        "staff",
        frozenset({"jingxiang"}),
    )
    assert claims.issued_at is not None
    assert before - timedelta(milliseconds=1) <= claims.issued_at <= datetime.now(UTC)


def test_a_token_issued_before_issue_times_were_kept_has_none():
    legacy = URLSafeTimedSerializer(SECRET, salt=TOKEN_SALT).dumps(
        {"p": "p-1", "r": "staff", "c": ["jingxiang"]}
    )
    assert PersonTokens(SECRET).verify(legacy, 60).issued_at is None


def test_a_tampered_or_foreign_token_is_refused():
    token = PersonTokens(SECRET).issue("p-1", "volunteer", ["jingxiang"])
    head, _, signature = token.rpartition(".")
    with pytest.raises(Unauthenticated, match="not valid"):
        PersonTokens(SECRET).verify(f"{head}.{signature[::-1]}", 60)
    with pytest.raises(Unauthenticated, match="not valid"):
        PersonTokens("another-secret-0123456789").verify(token, 60)
    forged = URLSafeTimedSerializer("guess", salt=TOKEN_SALT).dumps(
        {"p": "p-1", "r": "staff", "c": ["*"]}
    )
    with pytest.raises(Unauthenticated):
        PersonTokens(SECRET).verify(forged, 60)


def test_an_expired_token_is_refused(monkeypatch):
    token = PersonTokens(SECRET).issue("p-1", "volunteer", ["jingxiang"])
    later = time.time() + 61
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(Unauthenticated, match="expired"):
        PersonTokens(SECRET).verify(token, max_age_seconds=60)


# Secrets


@pytest.mark.parametrize("value", ["", "short", "change-me", "dev-only-token-secret"])
def test_an_empty_short_or_default_secret_stops_a_service_outside_dev_mode(value):
    with pytest.raises(InsecureSecret):
        Settings("cases").secret("TOKEN_SECRET", value, "dev-only-token-secret")


def test_dev_mode_allows_the_development_default():
    settings = Settings.from_config("cases", {"DEV_MODE": "true"})
    assert settings.secret("TOKEN_SECRET", "", "dev-default") == "dev-default"
    assert Settings("cases").secret("TOKEN_SECRET", SECRET, "x") == SECRET


def test_revocation_is_part_of_the_record():
    revoked = record(revoked_at=datetime(2026, 11, 21, tzinfo=UTC), version=2)
    assert KeyRecord.from_document(revoked.to_document()) == revoked


def test_channels_and_hotline_travel_with_the_key_and_a_record_without_them_claims_app():
    bound = record(channels=("hotline",), hotline_id="cs-12345")
    assert KeyRecord.from_document(bound.to_document()) == bound
    payload = {k: v for k, v in bound.to_document().items() if k != "_id"}
    event = CASES.new_event("apikey.changed", {"id": bound.id, **payload}, correlation_id="c")
    assert KeyRecord.from_payload(KEY_CHANGES.read(event.to_message()).payload) == bound
    older = {k: v for k, v in bound.to_document().items() if k not in ("channels", "hotline_id")}
    assert KeyRecord.from_document(older).actor().channels == frozenset({"app"})
