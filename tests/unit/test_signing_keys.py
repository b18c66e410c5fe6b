"""The user service's keyring: generated safely, rotated ahead of use, retired after its tokens."""

import asyncio
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.auth import InvalidToken, TokenIssuer, TokenVerifier
from services.user.adapters.signing_keys import FileKeyring
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit

ACTIVATION, RETIREMENT = 60, 305


def keyring(directory, clock) -> FileKeyring:
    return FileKeyring(
        directory, activation_seconds=ACTIVATION, retire_after_seconds=RETIREMENT, clock=clock
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


def kids(ring: FileKeyring) -> list[str]:
    return [key["kid"] for key in ring.jwks()["keys"]]


def test_the_first_key_is_generated_private_and_signs_at_once(tmp_path, clock):
    ring = keyring(tmp_path / "keys", clock)
    ring.ensure()
    [path] = (tmp_path / "keys").glob("*.pem")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert kids(ring) == [ring.signing_key().kid] == [path.stem]
    [jwk] = ring.jwks()["keys"]
    assert {jwk["kty"], jwk["alg"], jwk["use"]} == {"RSA", "RS256", "sig"}
    assert "d" not in jwk and "p" not in jwk  # public parts only


def test_instances_starting_together_share_one_first_key(tmp_path, clock):
    rings = [keyring(tmp_path / "keys", clock) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(FileKeyring.ensure, rings))
    assert len(list((tmp_path / "keys").glob("*.pem"))) == 1
    assert len({ring.signing_key().kid for ring in rings}) == 1


def test_existing_keys_are_loaded_not_replaced(tmp_path, clock):
    first = keyring(tmp_path / "keys", clock)
    first.ensure()
    second = keyring(tmp_path / "keys", clock)
    second.ensure()
    assert second.signing_key().kid == first.signing_key().kid


def test_rotation_publishes_first_signs_later_and_retires_the_old_key(tmp_path, clock):
    ring = keyring(tmp_path / "keys", clock)
    other_instance = keyring(tmp_path / "keys", clock)
    ring.ensure()
    other_instance.ensure()
    old = ring.signing_key().kid
    new = ring.rotate()
    # Published at once, in every instance (they re-read the directory), but not signing yet.
    assert kids(other_instance) == [old, new]
    assert other_instance.signing_key().kid == old
    clock.advance(ACTIVATION)
    assert other_instance.signing_key().kid == new
    # The old key verifies its tokens until they have expired...
    clock.advance(RETIREMENT - 1)
    assert kids(other_instance) == [old, new]
    clock.advance(1)
    assert kids(other_instance) == [new]
    # ...and the next rotation deletes its file.
    ring.rotate()
    assert not (tmp_path / "keys" / f"{old}.pem").exists()


async def test_tokens_signed_before_a_rotation_keep_verifying(tmp_path, clock):
    ring = keyring(tmp_path / "keys", clock)
    ring.ensure()
    issuer = TokenIssuer(
        signing_key=ring.signing_key, issuer="capsure-user", ttl=timedelta(minutes=5)
    )
    verifier = TokenVerifier(keys=ring, issuer="capsure-user")
    before = issuer.issue(uuid4(), "alice", ["User"]).value
    ring.rotate()
    clock.advance(ACTIVATION)
    after = issuer.issue(uuid4(), "bob", ["User"]).value
    await verifier.verify(before)
    await verifier.verify(after)
    clock.advance(RETIREMENT)
    with pytest.raises(InvalidToken):
        await verifier.verify(before)


def test_an_unreadable_key_file_is_skipped(tmp_path, clock):
    ring = keyring(tmp_path / "keys", clock)
    ring.ensure()
    (tmp_path / "keys" / "20200101T000000Z-bad.pem").write_text("not a key")
    assert len(kids(keyring(tmp_path / "keys", clock))) == 1
    assert asyncio.run(ring.key_for("20200101T000000Z-bad")) is None
