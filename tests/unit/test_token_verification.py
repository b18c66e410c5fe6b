"""Token verification against a JWKS: what verifies, every forgery refused, fetch behaviour."""

import json
from uuid import uuid4

import pytest

from services.common.auth import InvalidToken, TokenVerifier
from services.common.jwks import RemoteJwks
from tests.support.forgeries import forged_tokens
from tests.support.tokens import ISSUER, jwks_document, jwks_url, token_for

pytestmark = pytest.mark.unit


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(keys=RemoteJwks(jwks_url()), issuer=ISSUER)


async def test_a_genuine_token_verifies_with_its_roles(verifier):
    user_id = uuid4()
    claims = await verifier.verify(token_for(user_id, roles=["Developer"]))
    assert claims["sub"] == str(user_id)
    assert claims["roles"] == ["Developer", "User"]


@pytest.mark.parametrize("name", sorted(forged_tokens(uuid4())))
async def test_every_forgery_is_refused(verifier, name):
    with pytest.raises(InvalidToken):
        await verifier.verify(forged_tokens(uuid4())[name])


async def test_an_unknown_key_id_refetches_at_most_once_per_interval(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": []}))
    ticks = iter(range(1000))
    keys = RemoteJwks(path.as_uri(), min_refetch_seconds=10, monotonic=lambda: next(ticks))
    verifier = TokenVerifier(keys=keys, issuer=ISSUER)
    with pytest.raises(InvalidToken):
        await verifier.verify(token_for(uuid4()))
    # The key is published now (a rotation), but within the interval nothing is refetched...
    path.write_text(json.dumps(jwks_document()))
    with pytest.raises(InvalidToken):
        await verifier.verify(token_for(uuid4()))
    # ...and after it, the unknown kid triggers a fetch that finds it.
    for _ in range(10):
        next(ticks)
    await verifier.verify(token_for(uuid4()))


async def test_an_unreachable_issuer_keeps_the_last_known_keys(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks_document()))
    now = [0.0]
    keys = RemoteJwks(path.as_uri(), cache_seconds=5, monotonic=lambda: now[0])
    verifier = TokenVerifier(keys=keys, issuer=ISSUER)
    await verifier.verify(token_for(uuid4()))
    path.unlink()
    now[0] = 100.0
    await verifier.verify(token_for(uuid4()))
