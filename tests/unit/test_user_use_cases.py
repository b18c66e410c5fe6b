"""The user service's rules, through its composition root with in-memory fakes (the login
throttle's in test_user_login_throttle.py)."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.common.auth import InvalidToken, TokenVerifier
from services.user.bootstrap import build_deps
from services.user.config import UserSettings
from services.user.domain.errors import (
    AccountDisabled,
    AccountTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    UserNotFound,
    WouldLockOut,
)
from services.user.service_layer import administration, sessions, use_cases
from tests.support.clock import FakeClock
from tests.unit.user_fakes import fake_adapters

pytestmark = pytest.mark.unit

PASSWORD = "pw-123456"


@pytest.fixture
def settings() -> UserSettings:
    return UserSettings(token_ttl_seconds=600)


@pytest.fixture
def clock() -> FakeClock:
    # Real time: verifiers check expiry against the wall clock.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def adapters(settings, tmp_path, clock):
    adapters = fake_adapters(settings, tmp_path / "keys", clock)
    adapters.keyring.ensure()
    return adapters


@pytest.fixture
def deps(settings, adapters, clock):
    return build_deps(settings, adapters, clock=clock)


@pytest.fixture
def verifier(adapters, settings):
    return TokenVerifier(keys=adapters.keyring, issuer=settings.jwt_issuer)


async def register(deps, username="alice", email="Alice@Example.COM", password=PASSWORD):
    return await use_cases.register_user(deps, username=username, email=email, password=password)


async def login(deps, username="alice", password=PASSWORD, client="192.0.2.1"):
    return await sessions.login(deps, username=username, password=password, client_address=client)


async def test_register_stores_a_hash_a_normalised_email_and_only_the_user_role(deps, adapters):
    user = await register(deps)
    stored = adapters.users.users[user.id]
    assert stored.email == "alice@example.com"
    assert stored.password_hash != PASSWORD
    assert adapters.hasher.verify(stored.password_hash, PASSWORD)
    assert stored.roles == {"User"}
    assert stored.disabled is False


@pytest.mark.parametrize(
    ("username", "email"),
    [("alice", "other@example.com"), ("other", "ALICE@example.com")],
    ids=["same username", "same email, other case"],
)
async def test_a_taken_username_or_email_is_refused(deps, username, email):
    await register(deps)
    with pytest.raises(AccountTaken):
        await register(deps, username=username, email=email)


async def test_login_issues_an_rs256_token_with_key_id_and_roles(deps, verifier):
    user = await register(deps)
    pair = await login(deps)
    assert pair.access.expires_in == 600
    claims = await verifier.verify(pair.access.value)
    assert UUID(claims["sub"]) == user.id
    assert claims["roles"] == ["User"]
    assert claims["aud"] == "capsure"
    assert claims["exp"] - claims["iat"] == 600
    assert pair.refresh_token and pair.refresh_expires_in == 14 * 86400


async def test_wrong_password_and_unknown_user_fail_alike(deps, adapters):
    await register(deps)
    with pytest.raises(InvalidCredentials) as wrong_password:
        await login(deps, password="nope")
    with pytest.raises(InvalidCredentials) as unknown_user:
        await login(deps, username="mallory", password="nope")
    assert str(wrong_password.value) == str(unknown_user.value)
    # The unknown user was still checked against a hash, so both take comparable time.
    assert adapters.hasher.verified[-1] == deps.decoy_password_hash


async def test_refresh_rotates_and_a_spent_token_revokes_the_session(deps, verifier):
    await register(deps)
    first = await login(deps)
    second = await sessions.refresh(deps, refresh_token=first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert (await verifier.verify(second.access.value))["roles"] == ["User"]
    # The first token again: someone copied it. Both links of the chain stop working.
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(deps, refresh_token=first.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(deps, refresh_token=second.refresh_token)


async def test_refresh_tokens_expire(deps, clock):
    await register(deps)
    pair = await login(deps)
    clock.advance(pair.refresh_expires_in)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(deps, refresh_token=pair.refresh_token)


async def test_logout_revokes_and_is_idempotent(deps):
    await register(deps)
    pair = await login(deps)
    await sessions.logout(deps, refresh_token=pair.refresh_token)
    await sessions.logout(deps, refresh_token=pair.refresh_token)
    await sessions.logout(deps, refresh_token="never-issued")
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(deps, refresh_token=pair.refresh_token)


async def test_a_disabled_account_cannot_log_in_or_refresh(deps):
    admin = await register(deps, username="root", email="root@example.com")
    user = await register(deps)
    pair = await login(deps)
    await administration.set_disabled(deps, actor_id=admin.id, user_id=user.id, disabled=True)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(deps, refresh_token=pair.refresh_token)
    with pytest.raises(AccountDisabled):
        await login(deps)
    await administration.set_disabled(deps, actor_id=admin.id, user_id=user.id, disabled=False)
    assert (await login(deps)).access.value


async def test_roles_change_and_reach_the_next_token(deps, verifier):
    admin = await register(deps, username="root", email="root@example.com")
    user = await register(deps)
    changed = await administration.set_roles(
        deps, actor_id=admin.id, user_id=user.id, roles=["Developer"]
    )
    assert changed.roles == {"Developer", "User"}
    claims = await verifier.verify((await login(deps)).access.value)
    assert claims["roles"] == ["Developer", "User"]


async def test_an_admin_cannot_lock_themselves_out(deps):
    await use_cases.ensure_admin(deps, username="root", email="r@example.com", password=PASSWORD)
    admin = await deps.users.get_by_username("root")
    with pytest.raises(WouldLockOut):
        await administration.set_roles(deps, actor_id=admin.id, user_id=admin.id, roles=["User"])
    with pytest.raises(WouldLockOut):
        await administration.set_disabled(deps, actor_id=admin.id, user_id=admin.id, disabled=True)


async def test_ensure_admin_creates_once_and_never_escalates_an_existing_account(deps):
    await register(deps, username="root", email="root@example.com")
    await use_cases.ensure_admin(deps, username="root", email="x@example.com", password=PASSWORD)
    assert (await deps.users.get_by_username("root")).roles == {"User"}
    await use_cases.ensure_admin(deps, username="boss", email="b@example.com", password=PASSWORD)
    await use_cases.ensure_admin(deps, username="boss", email="b@example.com", password=PASSWORD)
    assert (await deps.users.get_by_username("boss")).roles == {"Admin", "User"}


async def test_list_users_pages_oldest_first(deps, clock):
    for number in range(3):
        await register(deps, username=f"user{number}", email=f"u{number}@example.com")
        clock.advance()
    page = await administration.list_users(deps, limit=2, offset=1)
    assert [u.username for u in page] == ["user1", "user2"]


async def test_get_user(deps):
    user = await register(deps)
    assert await use_cases.get_user(deps, user.id) == user
    with pytest.raises(UserNotFound):
        await use_cases.get_user(deps, uuid4())


async def test_my_nfts_come_from_the_catalog_with_the_callers_token(deps, adapters):
    user = await register(deps)
    adapters.nfts.owned[user.id] = [{"id": str(i)} for i in range(3)]
    assert await use_cases.list_my_nfts(
        deps, user.id, limit=2, offset=1, bearer_token="the-token"
    ) == [{"id": "1"}, {"id": "2"}]
    assert adapters.nfts.bearer_tokens == ["the-token"]


async def test_a_token_from_another_key_does_not_verify(verifier):
    from tests.support.tokens import token_for

    with pytest.raises(InvalidToken):
        await verifier.verify(token_for(uuid4()))
