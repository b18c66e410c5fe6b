"""The user service's database adapters against real databases, schema from the migrations."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.database import service_database
from services.user.adapters.login_throttle import DatabaseLoginAttempts
from services.user.adapters.orm import LoginFailureRecord
from services.user.adapters.repository import TortoiseUserRepository
from services.user.adapters.sessions import TortoiseRefreshTokenRepository
from services.user.config import UserSettings
from services.user.domain.errors import AccountTaken
from services.user.domain.login_throttle import FailureHistory, ThrottlePolicy
from services.user.domain.model import RefreshToken, User
from tests.integration.conftest import migrated_and_open, seeded_at

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


async def test_login_attempts_are_counted_per_pair_and_per_address_within_the_window(repo):
    attempts = DatabaseLoginAttempts()

    async def begin(account, address, second, limit=3):
        at = NOW + timedelta(seconds=second)
        return await attempts.begin(
            account, address, at, since=at - timedelta(seconds=60), pair_limit=limit
        )

    for second, (account, address) in enumerate(
        [("alice", "a"), ("alice", "a"), ("bob", "a"), ("alice", "b"), ("alice", "a")]
    ):
        await begin(account, address, second)
    first = await begin("alice", "a", 10)
    # Before it: alice from a at 4, 1, 0 s (newest first); four failures from a, newest at 4 s.
    assert first.before == FailureHistory(
        pair=(at(4), at(1), at(0)), address_count=4, address_newest=at(4)
    )
    assert (await begin("alice", "a", 11, limit=2)).before.pair == (at(10), at(4))
    # An attempt withdrawn is not counted; past the window a failure is forgotten (and gone).
    await attempts.withdraw(first.id)
    late = await begin("carol", "a", 62)
    assert late.before == FailureHistory(pair=(), address_count=2, address_newest=at(11))
    assert await LoginFailureRecord.filter(failed_at__lt=at(2)).count() == 0
    # A success clears its own pair only.
    await attempts.clear_pair("alice", "a")
    after = await begin("alice", "a", 63)
    assert after.before == FailureHistory(pair=(), address_count=1, address_newest=at(62))
    assert (await begin("alice", "b", 63)).before.address_count == 0  # alice@b at 3 s: gone


async def test_failures_past_the_window_are_deleted_at_most_every_prune_interval(repo):
    """One write fewer per attempt: a failure past the window stays a while, counted by
    nobody, until the next prune (on a shared SQLite file every delete takes the write lock)."""
    attempts, window = DatabaseLoginAttempts(prune_every=timedelta(seconds=30)), 15

    async def begin(second):
        when = at(second)
        since = when - timedelta(seconds=window)
        return await attempts.begin("alice", "a", when, since=since, pair_limit=5)

    await begin(0)  # the first attempt prunes (nothing yet)
    await begin(1)
    late = await begin(20)  # past the window: 0 s and 1 s count for nothing...
    assert late.before == FailureHistory(pair=(), address_count=0, address_newest=None)
    assert await LoginFailureRecord.filter(failed_at__lte=at(1)).count() == 2  # ...yet kept
    later = await begin(30)  # 30 s after the last prune: it runs
    assert later.before == FailureHistory(pair=(at(20),), address_count=1, address_newest=at(20))
    assert await LoginFailureRecord.filter(failed_at__lte=at(1)).count() == 0


async def test_racing_attempts_cannot_all_pass_one_count(repo):
    """Each attempt is stored before the counts are read: of a burst on one pair, no more than
    the limit are let through (a check-then-record throttle lets all of them through)."""
    attempts, limit = DatabaseLoginAttempts(), 3
    policy = ThrottlePolicy(
        pair_limit=limit,
        address_limit=1000,
        window=timedelta(seconds=300),
        backoff_initial_seconds=1,
        backoff_max_seconds=300,
    )

    async def one() -> bool:
        since = NOW - policy.window
        attempt = await attempts.begin("alice", "a", NOW, since=since, pair_limit=limit)
        allowed = policy.retry_after(attempt.before, NOW) is None
        if not allowed:
            await attempts.withdraw(attempt.id)
        return allowed

    passed = sum(await asyncio.gather(*(one() for _ in range(20))))
    # Racing attempts see each other in flight: they may all be refused, never all let through.
    assert passed <= limit
    assert await LoginFailureRecord.filter(account="alice").count() == passed
    # The refused ones left nothing behind: the next attempt alone passes unless the limit did.
    assert await one() is (passed < limit)


async def test_the_upgrade_drops_failures_kept_under_the_old_keys(database_url):
    spec = service_database("user", UserSettings(database_url=database_url))
    old = "INSERT INTO login_failure (throttle_key, failed_at) VALUES ('account:alice', '{}')"
    await seeded_at(spec, "0003_idempotency", old.format(NOW.isoformat(sep=" ")))
    async with migrated_and_open(spec):
        assert await LoginFailureRecord.all().count() == 0
        attempt = await DatabaseLoginAttempts().begin(
            "alice", "a", NOW, since=NOW - timedelta(seconds=60), pair_limit=5
        )
        assert attempt.before == FailureHistory(pair=(), address_count=0, address_newest=None)


def at(second: int) -> datetime:
    return NOW + timedelta(seconds=second)
