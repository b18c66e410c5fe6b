"""TortoiseUserRepository against real databases, schema from the migrations."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.database import service_database
from services.user.adapters.login_throttle import DatabaseLoginThrottle
from services.user.adapters.repository import TortoiseUserRepository
from services.user.adapters.sessions import TortoiseRefreshTokenRepository
from services.user.config import UserSettings
from services.user.domain.errors import AccountTaken
from services.user.domain.model import RefreshToken, User
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration


@pytest.fixture
async def repo(database_url):
    async with migrated_and_open(service_database("user", UserSettings(database_url=database_url))):
        yield TortoiseUserRepository()


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def a_user(username="alice", email="alice@example.com", created_at=NOW) -> User:
    return User(
        id=uuid4(),
        username=username,
        email=email,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$abc$def",
        created_at=created_at,
    )


def a_refresh_token(user_id, family_id=None, token_hash=None) -> RefreshToken:
    return RefreshToken(
        id=uuid4(),
        family_id=family_id or uuid4(),
        user_id=user_id,
        token_hash=token_hash or uuid4().hex * 2,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )


async def test_a_user_reads_back_by_id_and_username(repo):
    user = a_user()
    await repo.add(user)
    assert await repo.get(user.id) == user
    assert await repo.get_by_username("alice") == user
    assert await repo.get_by_username("bob") is None


@pytest.mark.parametrize(
    "clash",
    [
        {"username": "alice", "email": "x@example.com"},
        {"username": "x", "email": "alice@example.com"},
    ],
    ids=["username", "email"],
)
async def test_the_database_refuses_a_taken_account(repo, clash):
    await repo.add(a_user())
    with pytest.raises(AccountTaken):
        await repo.add(a_user(**clash))
    assert await repo.get_by_username("x") is None


async def test_roles_and_disabled_are_stored_and_users_list_oldest_first(repo):
    users = [a_user(f"user{n}", f"u{n}@example.com", NOW + timedelta(minutes=n)) for n in range(3)]
    for user in reversed(users):
        await repo.add(user)
    changed = users[1].with_roles({"Developer"}).with_disabled(True)
    await repo.save_access(changed)
    assert await repo.get(changed.id) == changed
    assert [u.username for u in await repo.list(limit=2, offset=1)] == ["user1", "user2"]


async def test_a_refresh_token_is_spent_once_even_by_racing_refreshes(repo):
    sessions = TortoiseRefreshTokenRepository()
    token = a_refresh_token(uuid4())
    await sessions.add(token)
    assert await sessions.get_by_hash(token.token_hash) == token
    results = await asyncio.gather(*(sessions.mark_used(token.id, NOW) for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]
    assert (await sessions.get_by_hash(token.token_hash)).used_at == NOW


async def test_revoking_a_family_or_a_user_revokes_only_theirs(repo):
    sessions = TortoiseRefreshTokenRepository()
    alice, bob, family = uuid4(), uuid4(), uuid4()
    tokens = [
        a_refresh_token(alice, family),
        a_refresh_token(alice, family),
        a_refresh_token(alice),
        a_refresh_token(bob),
    ]
    for token in tokens:
        await sessions.add(token)
    await sessions.revoke_family(family, NOW)
    revoked = [(await sessions.get_by_hash(t.token_hash)).revoked_at for t in tokens]
    assert revoked == [NOW, NOW, None, None]
    await sessions.revoke_user(alice, NOW + timedelta(1))
    revoked = [(await sessions.get_by_hash(t.token_hash)).revoked_at for t in tokens]
    assert revoked == [NOW, NOW, NOW + timedelta(1), None]


async def test_the_login_throttle_counts_failures_per_key_within_the_window(repo):
    throttle = DatabaseLoginThrottle({"account": 3, "client": 5}, window_seconds=60)
    keys = ["account:alice", "client:192.0.2.1"]
    for second in range(3):
        assert await throttle.retry_after(keys, NOW + timedelta(seconds=second)) is None
        await throttle.record_failure(keys, NOW + timedelta(seconds=second))
    # Blocked until the oldest of the last three failures (at +0 s) is 60 s old.
    assert await throttle.retry_after(keys, NOW + timedelta(seconds=10)) == 50
    assert await throttle.retry_after(["account:bob"], NOW) is None
    assert await throttle.retry_after(keys, NOW + timedelta(seconds=60)) is None
    await throttle.clear("account:alice")
    assert await throttle.retry_after(["account:alice"], NOW + timedelta(seconds=10)) is None
