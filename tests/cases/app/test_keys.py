"""What a key may grant, see and revoke, and whom it may issue person tokens for: never
more than it holds. Plain Python, with the key store kept in a dict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.access.actors import ALL_COMMUNITIES, Actor, Forbidden
from lianxin.access.keys import KeyRecord
from lianxin.access.person_access import PersonAccess
from lianxin.access.tokens import PersonTokens
from services.cases.app import keys
from services.cases.app.keys import Grant, UnknownPerson
from services.cases.store import KeyNotFound
from tests.cases.factories import Keys

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TOKENS = PersonTokens("a-token-secret-for-tests-0123")


def admin(*communities: str, hotline_id: str | None = None) -> Actor:
    return Actor(
        "k-admin",
        "ops",
        frozenset({"admin"}),
        frozenset(communities),
        hotline_id=hotline_id,
    )


GLOBAL = admin(ALL_COMMUNITIES)
JINGXIANG = admin("jingxiang")


def member(**overrides) -> PersonAccess:
    fields = {
        "person_id": "jx-staff-1",
        "community_id": "jingxiang",
        "roles": ("staff",),
        "active": True,
        "person_version": 1,
        "access_since": NOW - timedelta(days=1),
    }
    return PersonAccess(**{**fields, **overrides})


def grant(**overrides) -> Grant:
    fields = {"name": "app", "scopes": ["report"], "communities": ["jingxiang"]}
    return Grant.of(**{**fields, **overrides})


# Issuing keys


def test_a_community_admin_issues_keys_within_its_community():
    vetted = keys.vetted(JINGXIANG, grant(scopes=["report", "read"]), None, NOW)
    record, issued = keys.issue(Keys(), vetted, NOW)
    assert record.communities == ("jingxiang",) and issued.text.startswith(f"lx_{record.id}_")


@pytest.mark.parametrize(
    "communities", [["*"], ["jinning"], ["jingxiang", "jinning"]], ids=["all", "other", "wider"]
)
def test_a_community_admin_cannot_mint_a_key_beyond_its_community(communities):
    with pytest.raises(Forbidden, match="communities"):
        keys.vetted(JINGXIANG, grant(scopes=["admin"], communities=communities), None, NOW)


def test_a_key_cannot_grant_a_scope_it_does_not_hold():
    reporter = Actor("k-1", "app", frozenset({"report"}), frozenset({"*"}))
    with pytest.raises(Forbidden, match="act"):
        keys.vetted(reporter, grant(scopes=["report", "act"]), None, NOW)


@given(
    st.sets(st.sampled_from(["a", "b", "c", ALL_COMMUNITIES]), min_size=1),
    st.sets(st.sampled_from(["a", "b", "c", ALL_COMMUNITIES]), min_size=1),
)
def test_whatever_is_asked_an_issued_key_sees_no_community_its_issuer_does_not(held, asked):
    issuer = admin(*held)
    try:
        vetted = keys.vetted(issuer, grant(communities=sorted(asked)), None, NOW)
    except Forbidden:
        return
    issued = keys.issue(Keys(), vetted, NOW)[0].actor()
    for community in ("a", "b", "c", "elsewhere"):
        assert not issued.sees(community) or issuer.sees(community)


def test_only_a_key_of_every_community_or_of_that_hotline_binds_a_hotline():
    with pytest.raises(Forbidden, match="hotline"):
        keys.vetted(JINGXIANG, grant(hotline_id="changsha-12345"), None, NOW)
    bound = keys.vetted(GLOBAL, grant(hotline_id="changsha-12345"), None, NOW)
    assert bound.hotline_id == "changsha-12345" and bound.channels == ("hotline",)
    own = admin(ALL_COMMUNITIES, hotline_id="changsha-12345")
    assert keys.vetted(own, grant(hotline_id="changsha-12345"), None, NOW).hotline_id
    with pytest.raises(Forbidden, match="hotline"):
        keys.vetted(own, grant(hotline_id="xiangtan-12345"), None, NOW)


def test_the_hotline_channel_needs_a_hotline_binding_and_channels_stay_within_the_issuers():
    with pytest.raises(Forbidden, match="hotline"):
        keys.vetted(GLOBAL, grant(channels=["hotline"]), None, NOW)
    app_admin = Actor("k-2", "x", frozenset({"report"}), frozenset({"*"}))
    with pytest.raises(Forbidden, match="patrol"):
        keys.vetted(app_admin, grant(channels=["patrol"]), None, NOW)
    assert keys.vetted(app_admin, grant(channels=["app"]), None, NOW).channels == ("app",)


def test_a_person_bound_key_is_for_an_active_member_with_the_role():
    wanted = grant(scopes=["act", "read"], person_id="jx-staff-1", role="staff")
    assert keys.vetted(JINGXIANG, wanted, member(), NOW) == wanted


@pytest.mark.parametrize(
    "person",
    [None, member(active=False), member(roles=("volunteer",)), member(community_id="jinning")],
    ids=["unknown", "inactive", "role-not-held", "other-community"],
)
def test_a_person_bound_key_for_anyone_else_is_refused_alike(person):
    wanted = grant(scopes=["act"], person_id="jx-staff-1", role="staff")
    with pytest.raises(UnknownPerson) as refused:
        keys.vetted(JINGXIANG, wanted, person, NOW)
    assert refused.value.details()["fields"]["person_id"]


# Listing and revoking


def issued_in(store: Keys, *communities: str) -> KeyRecord:
    return keys.issue(store, grant(communities=list(communities)), NOW)[0]


def test_a_community_admin_lists_and_revokes_only_keys_wholly_within_its_communities():
    store = Keys()
    own = issued_in(store, "jingxiang")
    other = issued_in(store, "jinning")
    wide = issued_in(store, "jingxiang", "jinning")
    everywhere = issued_in(store, ALL_COMMUNITIES)
    assert [record.id for record in keys.listing(store, JINGXIANG)] == [own.id]
    assert len(keys.listing(store, GLOBAL)) == 4
    for record in (other, wide, everywhere):
        with pytest.raises(KeyNotFound):
            keys.revoke(store, record.id, NOW, JINGXIANG)
        assert store.get(record.id).revoked_at is None
    assert keys.revoke(store, own.id, NOW, JINGXIANG).revoked_at == NOW


# Person tokens


def test_a_token_names_an_active_member_for_communities_the_issuer_covers():
    tokens_key = Actor("k-3", "app", frozenset({"tokens"}), frozenset({"jingxiang"}))
    token = keys.person_token(TOKENS, tokens_key, member(), "staff", ["jingxiang"], NOW)
    claims = TOKENS.verify(token, 60)
    assert (claims.person_id, claims.role, claims.communities) == (
        "jx-staff-1",
        "staff",
        frozenset({"jingxiang"}),
    )


def test_a_token_is_not_issued_beyond_the_issuers_communities_or_for_someone_else():
    tokens_key = Actor("k-3", "app", frozenset({"tokens"}), frozenset({"jingxiang"}))
    with pytest.raises(Forbidden):
        keys.person_token(TOKENS, tokens_key, member(), "staff", ["*"], NOW)
    with pytest.raises(Forbidden):
        keys.person_token(TOKENS, tokens_key, member(), "staff", ["jinning"], NOW)
    elsewhere = member(community_id="jinning")
    with pytest.raises(UnknownPerson):
        keys.person_token(TOKENS, tokens_key, elsewhere, "staff", ["jingxiang"], NOW)
    with pytest.raises(UnknownPerson):
        keys.person_token(TOKENS, tokens_key, member(), "grid_leader", ["jingxiang"], NOW)
    with pytest.raises(UnknownPerson):
        keys.person_token(TOKENS, tokens_key, None, "staff", ["jingxiang"], NOW)


def test_what_the_api_shows_of_a_key_has_its_channels_and_hotline_and_no_secret():
    record, issued = keys.issue(Keys(), keys.vetted(GLOBAL, grant(hotline_id="cs"), None, NOW), NOW)
    shown = keys.describe(record)
    assert shown["channels"] == ["hotline"] and shown["hotline_id"] == "cs"
    assert issued.secret not in str(shown) and record.secret_sha256 not in str(shown)
