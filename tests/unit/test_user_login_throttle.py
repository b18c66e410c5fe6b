"""The login throttle's rules, through the composition root with in-memory storage and a fake
clock: per (account, address) a hard limit for that pair only, per address a growing delay,
no per-account lock, a success resets its own pair."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.user.bootstrap import build_deps
from services.user.config import UserSettings
from services.user.domain.errors import InvalidCredentials, LoginThrottled
from services.user.domain.login_throttle import (
    UNKNOWN_ADDRESS,
    FailureHistory,
    ThrottlePolicy,
    throttle_address,
)
from services.user.service_layer import sessions, use_cases
from tests.unit.user_fakes import fake_adapters

pytestmark = pytest.mark.unit

PASSWORD = "pw-123456"
ATTACKER, OWNER = "198.51.100.7", "203.0.113.9"
PAIR_LIMIT, ADDRESS_LIMIT, WINDOW = 3, 6, 300
SETTINGS = UserSettings(
    login_failures_per_account_address=PAIR_LIMIT,
    login_failures_per_address=ADDRESS_LIMIT,
    login_failure_window_seconds=WINDOW,
    login_backoff_initial_seconds=1,
    login_backoff_max_seconds=8,
)


@pytest.fixture
def adapters(tmp_path, clock):
    adapters = fake_adapters(SETTINGS, tmp_path / "keys", clock)
    adapters.keyring.ensure()
    return adapters


@pytest.fixture
async def deps(adapters, clock):
    deps = build_deps(SETTINGS, adapters, clock=clock)
    await use_cases.register_user(deps, username="alice", email="a@example.com", password=PASSWORD)
    return deps


async def attempt(deps, address: str | None, username="alice", password="wrong") -> str:
    """What one login answered: "ok", "401", or "429 <Retry-After>"."""
    try:
        await sessions.login(deps, username=username, password=password, client_address=address)
    except InvalidCredentials:
        return "401"
    except LoginThrottled as throttled:
        return f"429 {throttled.retry_after_seconds}"
    return "ok"


async def test_a_pair_past_its_limit_waits_even_with_the_right_password(deps, clock):
    outcomes = []
    for _ in range(PAIR_LIMIT):
        outcomes.append(await attempt(deps, ATTACKER))
        clock.advance(10)
    outcomes.append(await attempt(deps, ATTACKER, password=PASSWORD))
    # Free when the oldest of the three (30 s ago) leaves the 300 s window.
    assert outcomes == ["401", "401", "401", f"429 {WINDOW - 30}"]
    clock.advance(WINDOW - 30 - 1)
    assert await attempt(deps, ATTACKER, password=PASSWORD) == "429 1"
    clock.advance(1)
    assert await attempt(deps, ATTACKER, password=PASSWORD) == "ok"


async def test_an_attackers_failures_never_lock_the_owner_out_from_another_address(deps):
    # Past the pair limit and the address limit, on alice and on others.
    outcomes = [await attempt(deps, ATTACKER) for _ in range(PAIR_LIMIT)]
    outcomes += [await attempt(deps, ATTACKER, f"user{n}") for n in range(ADDRESS_LIMIT)]
    assert outcomes[-1].startswith("429") and (await attempt(deps, ATTACKER)).startswith("429")
    assert await attempt(deps, OWNER, password=PASSWORD) == "ok"
    # And the owner's own typos from there count for the owner's pair only.
    assert [await attempt(deps, OWNER) for _ in range(PAIR_LIMIT - 1)] == ["401"] * 2
    assert await attempt(deps, OWNER, password=PASSWORD) == "ok"


async def test_a_success_resets_its_own_pair_and_only_that_one(deps, adapters):
    assert [await attempt(deps, ATTACKER) for _ in range(PAIR_LIMIT)] == ["401"] * 3
    for _ in range(2):
        # Without the reset the third failure from OWNER would make the pair wait.
        assert [await attempt(deps, OWNER) for _ in range(PAIR_LIMIT - 1)] == ["401"] * 2
        assert await attempt(deps, OWNER, password=PASSWORD) == "ok"
    assert await attempt(deps, ATTACKER, password=PASSWORD) == f"429 {WINDOW}"
    assert {(f.account, f.address) for f in adapters.login_attempts.failures} == {
        ("alice", ATTACKER)
    }


async def test_an_address_past_its_limit_waits_longer_after_each_failure(deps, clock):
    accounts = iter(f"user{n}" for n in range(100))
    assert [await attempt(deps, ATTACKER, next(accounts)) for _ in range(ADDRESS_LIMIT)] == [
        "401"
    ] * ADDRESS_LIMIT
    waits = []
    for _ in range(6):
        refused = await attempt(deps, ATTACKER, next(accounts))
        assert refused.startswith("429 ")
        waits.append(int(refused.split()[1]))
        clock.advance(waits[-1])
        assert await attempt(deps, ATTACKER, next(accounts)) == "401"
    # A delay, not a lock: doubling from 1 s, capped at the configured 8 s.
    assert waits == [1, 2, 4, 8, 8, 8]
    # The right password waits like a wrong one (or the wait would tell which it was).
    assert await attempt(deps, ATTACKER, "alice", PASSWORD) == "429 8"
    # Once the failures leave the window the address starts afresh.
    clock.advance(WINDOW)
    assert await attempt(deps, ATTACKER, "alice", PASSWORD) == "ok"


async def test_tries_while_refused_are_not_counted_and_do_not_lengthen_the_wait(deps, clock):
    for _ in range(PAIR_LIMIT):
        await attempt(deps, ATTACKER)
    for second in range(5):
        assert await attempt(deps, ATTACKER) == f"429 {WINDOW - second}"
        clock.advance(1)
    clock.advance(WINDOW - 5)
    # Three failures had been counted, not eight: the pair is free again.
    assert await attempt(deps, ATTACKER, password=PASSWORD) == "ok"


async def test_there_is_no_lock_on_an_account_alone(deps):
    # Many addresses, each up to the pair limit: alice herself still logs in from a new one.
    for host in range(1, 11):
        assert [await attempt(deps, f"192.0.2.{host}") for _ in range(PAIR_LIMIT)] == ["401"] * 3
    assert await attempt(deps, OWNER, password=PASSWORD) == "ok"


async def test_unknown_usernames_are_counted_and_hashed_like_known_ones(deps, adapters):
    known = [await attempt(deps, ATTACKER, "alice") for _ in range(PAIR_LIMIT + 1)]
    verified = len(adapters.hasher.verified)
    unknown = [await attempt(deps, OWNER, "ghost") for _ in range(PAIR_LIMIT + 1)]
    assert known == unknown == ["401", "401", "401", f"429 {WINDOW}"]
    # Each unknown-user failure was checked against the decoy hash; the refusal checked none.
    assert adapters.hasher.verified[verified:] == [deps.decoy_password_hash] * PAIR_LIMIT


async def test_usernames_are_counted_whatever_their_case(deps):
    for name in ("alice", "Alice", "ALICE"):
        assert await attempt(deps, ATTACKER, name) == "401"
    assert (await attempt(deps, ATTACKER, "aLiCe")).startswith("429")


async def test_one_ipv6_subscriber_is_one_address(deps):
    prefix = "2001:db8:1:2:"
    hosts = [f"{prefix}{n:x}::1" for n in range(ADDRESS_LIMIT)]
    assert [await attempt(deps, host, f"user{n}") for n, host in enumerate(hosts)] == [
        "401"
    ] * ADDRESS_LIMIT
    assert await attempt(deps, f"{prefix}ffff::1", "user99") == "429 1"
    assert await attempt(deps, "2001:db8:1:3::1", "user99") == "401"


@pytest.mark.parametrize(
    ("client", "counted_as"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        (None, UNKNOWN_ADDRESS),
        ("", UNKNOWN_ADDRESS),
        ("not-an-address" * 10, ("not-an-address" * 10)[:64]),
    ],
)
def test_what_counts_as_one_client_address(client, counted_as):
    assert throttle_address(client) == counted_as


def test_the_backoff_doubles_up_to_its_ceiling_whatever_the_excess(clock):
    policy = ThrottlePolicy(
        pair_limit=5,
        address_limit=30,
        window=timedelta(seconds=300),
        backoff_initial_seconds=1,
        backoff_max_seconds=300,
    )
    assert [policy.backoff_seconds(n) for n in range(10)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert policy.backoff_seconds(10**9) == 300
    history = FailureHistory(pair=(), address_count=10**6, address_newest=None)
    assert policy.retry_after(history, now=clock()) is None


def test_the_backoff_must_fit_in_the_window():
    with pytest.raises(ValidationError, match="USER_LOGIN_BACKOFF_MAX_SECONDS"):
        UserSettings(login_backoff_max_seconds=600, login_failure_window_seconds=300)
    with pytest.raises(ValidationError, match="USER_LOGIN_BACKOFF_INITIAL_SECONDS"):
        UserSettings(login_backoff_initial_seconds=10, login_backoff_max_seconds=5)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("USER_LOGIN_FAILURES_PER_ACCOUNT", "USER_LOGIN_FAILURES_PER_ACCOUNT_ADDRESS"),
        ("USER_LOGIN_FAILURES_PER_CLIENT", "USER_LOGIN_FAILURES_PER_ADDRESS"),
    ],
)
def test_a_renamed_throttle_setting_is_refused_not_ignored(monkeypatch, old, new):
    monkeypatch.setenv(old, "12")
    with pytest.raises(ValidationError, match=f"{old} is now {new}"):
        UserSettings()
