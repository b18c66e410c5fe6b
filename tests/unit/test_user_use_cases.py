"""The user service's rules, through its composition root with in-memory fakes."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.common.auth import TokenVerifier
from services.user.bootstrap import build_deps
from services.user.config import UserSettings
from services.user.domain.errors import AccountTaken, InvalidCredentials, UserNotFound
from services.user.service_layer import use_cases
from tests.support.clock import FakeClock
from tests.unit.user_fakes import fake_adapters

pytestmark = pytest.mark.unit


@pytest.fixture
def settings() -> UserSettings:
    return UserSettings(token_ttl_seconds=600)


@pytest.fixture
def adapters():
    return fake_adapters()


@pytest.fixture
def deps(settings, adapters):
    return build_deps(settings, adapters, clock=FakeClock())


async def register(deps, username="alice", email="Alice@Example.COM", password="pw-123456"):
    return await use_cases.register_user(deps, username=username, email=email, password=password)


async def test_register_stores_a_hash_and_a_normalised_email(deps, adapters):
    user = await register(deps)
    stored = adapters.users.users[user.id]
    assert stored.email == "alice@example.com"
    assert stored.password_hash != "pw-123456"
    assert adapters.hasher.verify(stored.password_hash, "pw-123456")


@pytest.mark.parametrize(
    ("username", "email"),
    [("alice", "other@example.com"), ("other", "ALICE@example.com")],
    ids=["same username", "same email, other case"],
)
async def test_a_taken_username_or_email_is_refused(deps, username, email):
    await register(deps)
    with pytest.raises(AccountTaken):
        await register(deps, username=username, email=email)


async def test_login_issues_a_token_that_verifies(settings, adapters):
    # Real time: the verifier checks expiry against the wall clock.
    deps = build_deps(settings, adapters, clock=FakeClock(datetime.now(UTC)))
    user = await register(deps)
    token = await use_cases.login(deps, username="alice", password="pw-123456")
    assert token.expires_in == 600
    claims = TokenVerifier(settings.jwt_secret, settings.jwt_issuer).verify(token.value)
    assert UUID(claims["sub"]) == user.id
    assert claims["exp"] - claims["iat"] == 600


async def test_wrong_password_and_unknown_user_fail_alike(deps, adapters):
    await register(deps)
    with pytest.raises(InvalidCredentials) as wrong_password:
        await use_cases.login(deps, username="alice", password="nope")
    with pytest.raises(InvalidCredentials) as unknown_user:
        await use_cases.login(deps, username="mallory", password="nope")
    assert str(wrong_password.value) == str(unknown_user.value)
    # The unknown user was still checked against a hash, so both take comparable time.
    assert adapters.hasher.verified[-1] == deps.decoy_password_hash


async def test_get_user(deps):
    user = await register(deps)
    assert await use_cases.get_user(deps, user.id) == user
    with pytest.raises(UserNotFound):
        await use_cases.get_user(deps, uuid4())


async def test_my_nfts_come_from_the_catalog(deps, adapters):
    user = await register(deps)
    adapters.nfts.owned[user.id] = [{"id": str(i)} for i in range(3)]
    assert await use_cases.list_my_nfts(deps, user.id, limit=2, offset=1) == [
        {"id": "1"},
        {"id": "2"},
    ]
