"""TortoiseUserRepository against real databases, schema from the migrations."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.common.database import service_database
from services.user.adapters.repository import TortoiseUserRepository
from services.user.config import UserSettings
from services.user.domain.errors import AccountTaken
from services.user.domain.model import User
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration


@pytest.fixture
async def repo(database_url):
    async with migrated_and_open(service_database("user", UserSettings(database_url=database_url))):
        yield TortoiseUserRepository()


def a_user(username="alice", email="alice@example.com") -> User:
    return User(
        id=uuid4(),
        username=username,
        email=email,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$abc$def",
        created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
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
