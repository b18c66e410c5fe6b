"""Token verification against a JWKS: what verifies, every forgery refused, fetch behaviour."""

import base64
import json
import time
from uuid import uuid4

import jwt
import pytest
from jwt.api_jws import PyJWS

from services.common.auth import InvalidToken, TokenVerifier, _decode_segment
from services.common.jwks import RemoteJwks
from services.common.verified_tokens import MAX_TOKEN_CHARS, VerifiedTokens
from tests.support.forgeries import forged_tokens
from tests.support.tokens import ISSUER, claims_for, jwks_document, jwks_url, sign, token_for

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


# --- the verified-token cache ------------------------------------------------------------------


def _retagged(token: str, payload: dict) -> str:
    """`token`'s header and signature around another payload: a forgery of a verified token."""
    header, _, signature = token.split(".")
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


async def test_a_verified_token_is_answered_again_with_claims_of_its_own(verifier):
    token = token_for(uuid4())
    first = await verifier.verify(token)
    first["roles"].append("Admin")  # a handler mutating its copy...
    first["sub"] = "someone else"
    again = await verifier.verify(token)
    assert again["roles"] == ["User"]  # ...changes nothing for the next request
    assert again["sub"] != "someone else"
    assert len(verifier.verified) == 1


async def test_a_forgery_of_a_cached_token_is_refused_and_never_kept(verifier):
    user_id = uuid4()
    token = token_for(user_id)
    await verifier.verify(token)
    claims = await verifier.verify(token)
    elevated = _retagged(token, {**claims, "roles": ["Admin", "User"]})
    forgeries = [elevated, token + "x", token[:-2], *forged_tokens(user_id).values()]
    for forged in forgeries:
        with pytest.raises(InvalidToken):
            await verifier.verify(forged)
    assert len(verifier.verified) == 1  # only the genuine one
    assert (await verifier.verify(token))["roles"] == ["User"]


async def test_junk_tokens_and_many_sessions_keep_the_cache_bounded():
    verifier = TokenVerifier(
        keys=RemoteJwks(jwks_url()), issuer=ISSUER, verified=VerifiedTokens(capacity=3)
    )
    for n in range(200):
        with pytest.raises(InvalidToken):
            await verifier.verify(f"junk.{n}.token")
    assert len(verifier.verified) == 0
    tokens = [token_for(uuid4()) for _ in range(5)]
    for token in tokens:
        await verifier.verify(token)
    assert len(verifier.verified) == 3  # the least recently used went
    assert verifier.verified.get(tokens[0]) is None
    assert verifier.verified.get(tokens[-1]) is not None


async def test_an_oversized_token_is_verified_each_time_and_never_kept(verifier):
    # A valid token whose claims are large: verified, but not held in memory.
    token = sign({**claims_for(uuid4()), "padding": "p" * MAX_TOKEN_CHARS})
    assert (await verifier.verify(token))["sub"]
    assert len(verifier.verified) == 0


async def test_a_cached_token_is_refused_once_it_expires():
    now = [time.time()]
    verifier = TokenVerifier(
        keys=RemoteJwks(jwks_url()), issuer=ISSUER, leeway_seconds=5, clock=lambda: now[0]
    )
    token = token_for(uuid4(), minutes=1)
    await verifier.verify(token)
    now[0] += 60 + 4  # within the leeway: still valid, from the cache
    await verifier.verify(token)
    now[0] += 2  # past exp + leeway
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(token)
    assert len(verifier.verified) == 0


async def test_a_cached_token_is_refused_once_its_key_leaves_the_jwks(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks_document()))
    now = [0.0]
    keys = RemoteJwks(path.as_uri(), cache_seconds=5, monotonic=lambda: now[0])
    verifier = TokenVerifier(keys=keys, issuer=ISSUER)
    token = token_for(uuid4())
    await verifier.verify(token)
    path.write_text(json.dumps({"keys": []}))  # the key retired by the issuer
    now[0] = 100.0  # the keys are refetched
    with pytest.raises(InvalidToken):
        await verifier.verify(token)
    assert len(verifier.verified) == 0


@pytest.mark.parametrize(
    "segment",
    ["", "e30", "e30=", "e30==", "e30===", "e3", "e31", "e30!", "eyJ+", "e30=x", "=", "a"],
)
def test_segments_are_decoded_and_refused_as_pyjwt_does(segment):
    def outcome(decode):
        try:
            return decode(segment.encode(), "header")
        except jwt.DecodeError as error:
            return str(error)

    assert outcome(_decode_segment) == outcome(PyJWS._decode_base64url_segment)


@pytest.mark.parametrize("token", ["\udcff.e30.e30", "ÿ.e30.e30", "", ".", "e30", "a" * 100_000])
async def test_a_malformed_token_is_refused_never_raised_through(verifier, token):
    with pytest.raises(InvalidToken):
        await verifier.verify(token)
    assert len(verifier.verified) == 0
