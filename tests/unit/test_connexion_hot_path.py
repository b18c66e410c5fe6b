"""services/common/connexion_hot_path.py: Connexion's per-operation work is built once, and
nothing a client sees changes — every refusal is the same problem as Connexion's own AsyncApp
gives (the two apps side by side, on nft's contract and fakes, responses validated); orjson
answers parse to what json's did; and the Connexion internals the module mirrors are pinned:
an upgrade that changes one fails here, naming it."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import hashlib
import importlib.metadata
import inspect
import json
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import connexion.decorators.parameter
import connexion.security
import httpx
import pytest
from connexion import AsyncApp
from connexion.decorators.parameter import AsyncParameterDecorator
from connexion.jsonifier import Jsonifier
from connexion.utils import inspect_function_arguments

from services.common import connexion_hot_path, rest_app
from services.common.connexion_hot_path import PINNED_CONNEXION, RELIED_ON, OrjsonJsonifier
from services.common.request_validators import QuotingParameterValidator
from services.nft.bootstrap import bootstrap, build_deps
from services.nft.config import NftSettings
from services.nft.entrypoints import rest as nft_rest
from tests.support.asgi import asgi_client
from tests.support.tokens import bearer, jwks_url
from tests.unit.nft_fakes import InMemoryNftRepository, InMemoryUserDirectory, nft_app

pytestmark = pytest.mark.unit

ALICE = uuid.uuid4()

# The source of each Connexion internal the module mirrors or subclasses, as in 3.3.0. When an
# upgrade changes one, re-read it, bring connexion_hot_path.py in line, and update the digest.
PINNED_SOURCES = {
    "connexion.apps.asynchronous.AsyncOperation": "c926a7b7fa785a2e",
    "connexion.apps.asynchronous.AsyncApi": "a8f7d3bf9a04f553",
    "connexion.apps.asynchronous.AsyncASGIApp": "6f4dd967cd072817",
    "connexion.decorators.main.BaseDecorator": "f80df9158d9e6a2f",
    "connexion.decorators.main.ASGIDecorator": "4ee93a1e035825f2",
    "connexion.middleware.request_validation.RequestValidationOperation": "f3752562bfeee28b",
    "connexion.middleware.request_validation.RequestValidationAPI": "8de5950b18c3f6a1",
    "connexion.middleware.response_validation.ResponseValidationOperation": "cc0f1c4254dc30b9",
    "connexion.middleware.response_validation.ResponseValidationAPI": "5812437b7a293075",
    "connexion.validators.json.JSONRequestBodyValidator": "05450b89d022b098",
    "connexion.validators.abstract.AbstractRequestBodyValidator": "bd67e82656ee4831",
    "connexion.validators.json.JSONResponseBodyValidator": "a0bd36c611d71b96",
    "connexion.validators.parameter.ParameterValidator": "d338ed9bea35a31c",
    "connexion.security.AbstractSecurityHandler": "7eadce8ab4af5faf",
    "connexion.jsonifier.Jsonifier": "f4f8d06fb0bde25d",
    "connexion.middleware.swagger_ui.SwaggerUIMiddleware": "3aa8fe6b22f495c4",
    "connexion.middleware.main.ConnexionMiddleware": "0901bb0e980a503d",
    "connexion.decorators.parameter.AsyncParameterDecorator": "79513a75ad0d4ccc",
    "connexion.decorators.parameter.BaseParameterDecorator": "84042d6cb64319d4",
    "connexion.decorators.parameter.prep_kwargs": "46eb57dd9685e1c4",
    "connexion.decorators.parameter.get_arguments": "b2912a96f0107039",
    "connexion.middleware.context.ContextOperation": "e6a0d79df818fc45",
}


def _qualified(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _digest(obj: Any) -> str:
    source = textwrap.dedent(inspect.getsource(obj))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def test_connexion_is_the_pinned_version() -> None:
    installed = importlib.metadata.version("connexion")
    assert installed == PINNED_CONNEXION, (
        f"connexion {installed} is installed; services/common/connexion_hot_path.py mirrors "
        f"{PINNED_CONNEXION}'s internals: re-read them (tests/unit/test_connexion_hot_path.py "
        "lists which) before moving the pin"
    )


def test_every_internal_relied_on_is_pinned() -> None:
    assert sorted(_qualified(obj) for obj in RELIED_ON) == sorted(PINNED_SOURCES)


def test_the_internals_relied_on_are_unchanged() -> None:
    changed = [
        f"{_qualified(obj)} (digest now {_digest(obj)})"
        for obj in RELIED_ON
        if _digest(obj) != PINNED_SOURCES[_qualified(obj)]
    ]
    assert not changed, (
        "Connexion internals that services/common/connexion_hot_path.py mirrors have changed: "
        + "; ".join(changed)
        + ". Re-read each, bring connexion_hot_path.py in line, then update PINNED_SOURCES."
    )


# --- built once ------------------------------------------------------------------------------


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the handler is decorated, a parameter validator built and a function's
    signature read (the handler's, the token verifier's)."""
    counts = {"decorated": 0, "parameter validators": 0, "signatures read": 0}
    decorate = AsyncParameterDecorator.__call__
    prebuilt = connexion_hot_path.PrebuiltParameterDecorator.__call__
    validator_init = QuotingParameterValidator.__init__

    def counting_decorate(self: Any, function: Any) -> Any:
        counts["decorated"] += 1
        return decorate(self, function)

    def counting_prebuilt(self: Any, function: Any) -> Any:
        counts["decorated"] += 1
        return prebuilt(self, function)

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        counts["parameter validators"] += 1
        validator_init(self, *args, **kwargs)

    def counting_signature(function: Any) -> Any:
        counts["signatures read"] += 1
        return inspect_function_arguments(function)

    for module in (connexion.security, connexion.decorators.parameter):
        monkeypatch.setattr(module, "inspect_function_arguments", counting_signature)
    monkeypatch.setattr(AsyncParameterDecorator, "__call__", counting_decorate)
    monkeypatch.setattr(
        connexion_hot_path.PrebuiltParameterDecorator, "__call__", counting_prebuilt
    )
    monkeypatch.setattr(QuotingParameterValidator, "__init__", counting_init)
    return counts


async def test_requests_build_no_decorator_and_no_validator(counted: dict[str, int]) -> None:
    async with asgi_client(nft_app(InMemoryUserDirectory(ALICE))) as client:
        await client.get(f"/api/nfts/user/{ALICE}")
        # The token verifier's signature is read on the first protected request, once.
        await client.post("/api/nfts", json={"name": "x"}, headers=bearer(ALICE))
        at_start = dict(counted)
        for _ in range(5):
            assert (await client.get(f"/api/nfts/user/{ALICE}")).status_code == 200
            minted = await client.post("/api/nfts", json={"name": "x"}, headers=bearer(ALICE))
            assert minted.status_code == 201
            assert (await client.get("/api/nfts/user/not-a-uuid")).status_code == 400
    assert all(count > 0 for count in at_start.values()), at_start
    assert counted == at_start


async def test_stock_connexion_builds_them_per_request(
    counted: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the test above would see without the hot path: it can fail."""
    monkeypatch.setattr(rest_app, "connexion_app", AsyncApp)
    async with asgi_client(nft_app(InMemoryUserDirectory(ALICE))) as client:
        before = dict(counted)
        await client.get(f"/api/nfts/user/{ALICE}")
    assert counted["decorated"] > before["decorated"]
    assert counted["parameter validators"] > before["parameter validators"]
    assert counted["signatures read"] > before["signatures read"]


def _swagger_ui_middleware(app: AsyncApp) -> connexion_hot_path.PrefixedSwaggerUIMiddleware:
    layer = app.middleware.app
    while not isinstance(layer, connexion_hot_path.PrefixedSwaggerUIMiddleware):
        layer = layer.app
    return layer


async def test_the_swagger_ui_routes_only_requests_under_its_paths() -> None:
    app = nft_app(InMemoryUserDirectory(ALICE))
    routed: list[str] = []
    async with asgi_client(app) as client:
        assert (await client.get("/livez")).status_code == 200  # the stack is built
        swagger_ui = _swagger_ui_middleware(app)
        router = swagger_ui.router

        async def recording_router(scope: Any, receive: Any, send: Any) -> None:
            routed.append(scope["path"])
            await router(scope, receive, send)

        swagger_ui.router = recording_router  # type: ignore[assignment]
        assert (await client.get(f"/api/nfts/user/{ALICE}")).status_code == 200
        assert (await client.get("/api/nfts/openapi.json")).status_code == 200
        ui = await client.get("/api/nfts/ui")
        assert (ui.status_code, ui.headers["location"]) == (307, "/api/nfts/ui/")
        assert "swagger-ui" in (await client.get("/api/nfts/ui/")).text
        assert (await client.get("/api/nfts/ui/swagger-ui.css")).status_code == 200
        # Under the UI's prefix, but none of its routes: routed there, then to the API (a bad id).
        assert (await client.get("/api/nfts/uix")).status_code == 400
    assert routed == [
        "/api/nfts/ui",
        "/api/nfts/ui/",
        "/api/nfts/ui/swagger-ui.css",
        "/api/nfts/uix",
    ]


# --- the same answers as Connexion's own AsyncApp --------------------------------------------

NFT_ID = str(uuid.uuid4())
TOKEN = bearer(ALICE)
JSON = {"Content-Type": "application/json"}

# (method, path, headers, body): refusals of every kind the contract's validation gives, and
# a GET with a stray Content-Type (served: the operation takes no body).
REFUSED: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("GET", "/api/nfts/user/not-a-uuid", {}, None),
    ("GET", f"/api/nfts/user/{ALICE}?limit=0", {}, None),
    ("GET", f"/api/nfts/user/{ALICE}?limit=abc", {}, None),
    ("GET", f"/api/nfts/user/{ALICE}?offset=-1", {}, None),
    ("GET", f"/api/nfts/user/{ALICE}?unknown=1", {}, None),
    ("GET", f"/api/nfts/{NFT_ID}", {}, None),  # 404 from the handler
    ("GET", f"/api/nfts/{NFT_ID}/history?limit=1000", {}, None),
    ("GET", f"/api/nfts/user/{ALICE}", {"Content-Type": "text/plain; charset=nope"}, None),
    ("POST", "/api/nfts", JSON, b'{"name": "x"}'),  # no token
    ("POST", "/api/nfts", {**JSON, "Authorization": "Bearer nope"}, b'{"name": "x"}'),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b"{}"),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b'{"name": 5}'),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b'{"name": "x", "extra": {"deep": [1]}}'),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b'{"name": "x", "metadata": {"image": "no"}}'),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b'{"name": '),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b"\xff\xfe"),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b"null"),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b"[]"),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b""),
    ("POST", "/api/nfts", {**TOKEN, "Content-Type": "text/plain"}, b"x"),
    ("POST", "/api/nfts", {**TOKEN, "Content-Type": "application/json; charset=nope"}, b"{}"),
    ("POST", "/api/nfts", {**TOKEN, "Content-Type": "application/json; charset=latin-1"}, b"{}"),
    ("POST", "/api/nfts", {**JSON, **TOKEN, "Idempotency-Key": ""}, b'{"name": "x"}'),
    ("POST", "/api/nfts", {**JSON, **TOKEN, "Idempotency-Key": "k" * 256}, b'{"name": "x"}'),
    ("PATCH", f"/api/nfts/{NFT_ID}", {**JSON, **TOKEN}, b'{"name": ""}'),
    ("POST", f"/api/nfts/{NFT_ID}/transfer", {**JSON, **TOKEN}, b'{"toUserId": "nope"}'),
    ("DELETE", f"/api/nfts/{NFT_ID}/sale-approval?listingId=nope", TOKEN, None),
    ("PUT", "/api/nfts/user/x", {}, None),  # 405
]


async def _answers(app: Any) -> list[tuple[int, str, Any]]:
    answers = []
    async with asgi_client(app) as client:
        for method, path, headers, body in REFUSED:
            response = await client.request(method, path, headers=headers, content=body)
            answers.append(
                (response.status_code, response.headers["content-type"], _json(response))
            )
    return answers


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


@pytest.fixture
def stock_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AsyncApp]:
    with monkeypatch.context() as patched:
        patched.setattr(rest_app, "connexion_app", AsyncApp)
        app = nft_app(InMemoryUserDirectory(ALICE), InMemoryNftRepository())
    yield app


async def test_every_refusal_is_connexions_own(stock_app: AsyncApp) -> None:
    hot = await _answers(nft_app(InMemoryUserDirectory(ALICE), InMemoryNftRepository()))
    stock = await _answers(stock_app)
    assert sorted(status for status, _, _ in hot)[:2] == [200, 400], hot  # one GET served
    for request, hot_answer, stock_answer in zip(REFUSED, hot, stock, strict=True):
        assert hot_answer == stock_answer, request[:2]


@pytest.mark.parametrize("media_type", ["Application/JSON", "APPLICATION/json; charset=utf-8"])
async def test_a_media_type_in_other_letters_is_still_checked_and_parsed(media_type: str) -> None:
    """Connexion skipped the body's checks for it and handed the handler bytes: a 500."""
    headers = {**TOKEN, "Content-Type": media_type}
    async with asgi_client(nft_app(InMemoryUserDirectory(ALICE))) as client:
        refused = await client.post("/api/nfts", content=b"{}", headers=headers)
        minted = await client.post("/api/nfts", content=b'{"name": "x"}', headers=headers)
    assert refused.status_code == 400
    assert refused.json()["detail"] == "body: 'name' is a required property"
    assert (minted.status_code, minted.json()["name"]) == (201, "x")


async def test_a_valid_read_answers_the_same_json(stock_app: AsyncApp) -> None:
    """Two apps on one repository: the same NFTs, the same answer (as JSON values)."""
    repository = InMemoryNftRepository()
    hot_app = nft_app(InMemoryUserDirectory(ALICE), repository)
    async with asgi_client(hot_app) as client:
        minted = await client.post(
            "/api/nfts",
            json={"name": "ünïcode ✓", "metadata": {"image": "https://img.example/1.png"}},
            headers=bearer(ALICE),
        )
        assert minted.status_code == 201
        hot = await client.get(f"/api/nfts/user/{ALICE}")
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(rest_app, "connexion_app", AsyncApp)
        stock_on_same = nft_app(InMemoryUserDirectory(ALICE), repository)
    async with asgi_client(stock_on_same) as client:
        stock = await client.get(f"/api/nfts/user/{ALICE}")
    assert hot.status_code == stock.status_code == 200
    assert hot.headers["content-type"] == stock.headers["content-type"]
    assert hot.json() == stock.json() and hot.json()[0]["name"] == "ünïcode ✓"


async def test_responses_are_still_validated(
    stock_app: AsyncApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate_responses (on in nft_app): an answer that breaks the contract is Connexion's
    500, as without the hot path; with it off, the same answer goes out."""

    def broken(nft: Any) -> dict[str, Any]:
        return {"id": "not an NFT"}

    # The mint answers through the handler's mapper (lists through a read model).
    monkeypatch.setattr(nft_rest, "nft_to_contract", broken)
    repository = InMemoryNftRepository()
    checked = nft_app(InMemoryUserDirectory(ALICE), repository)
    unchecked = bootstrap(
        NftSettings(validate_responses=False, jwks_url=jwks_url()),
        deps=build_deps(repository, InMemoryUserDirectory(ALICE)),
    )
    answers = []
    for app in (checked, stock_app, unchecked):
        async with asgi_client(app) as client:
            minted = await client.post("/api/nfts", json={"name": "x"}, headers=bearer(ALICE))
            answers.append((minted.status_code, _json(minted)))
    hot, stock, off = answers
    assert hot == stock
    assert hot[0] == 500 and hot[1]["status"] == 500
    assert off == (201, {"id": "not an NFT"})


def test_the_apps_are_built_with_the_hot_path() -> None:
    app = nft_app(InMemoryUserDirectory(ALICE))
    assert app._middleware_app.api_cls is connexion_hot_path.PrebuiltAsyncApi
    assert isinstance(app.middleware.options.jsonifier, OrjsonJsonifier)


# --- orjson answers ----------------------------------------------------------------------------


@dataclasses.dataclass
class _Point:
    x: int


SAMPLES: list[Any] = [
    {"a": 1, "b": [1.5, None, True, "ünï ✓ \u2028"], "c": {"d": ""}},
    [datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)],
    [datetime.datetime(2026, 1, 2, 3, 4, 5)],  # naive: Connexion appends Z
    [datetime.date(2026, 1, 2), decimal.Decimal("1.25"), uuid.UUID(int=7)],
    {"big": 2**70},  # beyond orjson's 64 bits: json's answer
    {1: "int key"},  # a key json turns into a string
    "text",
    0.1,
]


@pytest.mark.parametrize("value", SAMPLES, ids=[type(v).__name__ for v in SAMPLES])
def test_orjson_answers_parse_to_what_json_wrote(value: Any) -> None:
    ours, theirs = OrjsonJsonifier().dumps(value), Jsonifier().dumps(value)
    assert ours.endswith("\n")
    assert json.loads(ours) == json.loads(theirs)


def test_what_json_cannot_serialise_is_still_refused() -> None:
    for value in (_Point(1), {"x": object()}, {"s": {1, 2}}):
        with pytest.raises(TypeError):
            OrjsonJsonifier().dumps(value)
        with pytest.raises(TypeError):
            Jsonifier().dumps(value)


# --- arguments: the same as Connexion's own decorator gives ------------------------------------


class RecordingHandlers:
    """Every operation takes whatever Connexion passes (**kwargs) and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation_id: str) -> Any:
        async def record(**kwargs: Any) -> Any:
            self.calls.append((operation_id, kwargs))
            return None, 204

        return record


ARGUMENTS: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("GET", f"/api/nfts/user/{ALICE}", {}, None),  # the query's defaults
    ("GET", f"/api/nfts/user/{ALICE}?limit=5&offset=2", {}, None),
    ("GET", f"/api/nfts/{NFT_ID}/history?limit=3", {}, None),
    ("POST", "/api/nfts", {**JSON, **TOKEN}, b'{"name": "x", "metadata": {"attributes": []}}'),
    ("PATCH", f"/api/nfts/{NFT_ID}", {**JSON, **TOKEN}, b'{"name": "y"}'),
    ("DELETE", f"/api/nfts/{NFT_ID}/sale-approval?listingId={NFT_ID}", TOKEN, None),
]


async def _arguments_passed(build: Any) -> list[tuple[str, dict[str, Any]]]:
    from services.common.auth import TokenVerifier, bearer_info
    from services.common.jwks import RemoteJwks
    from services.common.rest_app import RestAppSpec

    handlers = RecordingHandlers()
    settings = NftSettings(validate_responses=False, jwks_url=jwks_url())
    app = build(
        RestAppSpec(
            service="nft",
            api_prefix="/api/nfts",
            handlers=handlers,
            database=None,
            settings=settings,
            verify_token=bearer_info(
                TokenVerifier(keys=RemoteJwks(jwks_url()), issuer=settings.jwt_issuer)
            ),
        )
    )
    async with asgi_client(app) as client:
        for method, path, headers, body in ARGUMENTS:
            response = await client.request(method, path, headers=headers, content=body)
            assert response.status_code == 204, (method, path, response.text)
    return handlers.calls


async def test_handlers_get_the_arguments_connexion_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    hot = await _arguments_passed(rest_app.build_rest_app)
    monkeypatch.setattr(rest_app, "connexion_app", AsyncApp)
    stock = await _arguments_passed(rest_app.build_rest_app)
    assert [name for name, _ in hot] == [
        "list_user_nfts",
        "list_user_nfts",
        "get_nft_history",
        "mint_nft",
        "update_nft",
        "withdraw_sale_approval",
    ]
    assert hot[0][1]["limit"] == 50 and hot[1][1]["limit"] == 5  # defaults, typed values
    assert hot[3][1]["body"]["name"] == "x" and hot[3][1]["user"] == str(ALICE)
    assert hot == stock


async def test_a_json_body_is_parsed_once_by_its_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The handler gets the value the body's validator parsed: Connexion's own path
    (Starlette's Request.json, json.loads) is not taken again."""
    import starlette.requests

    reparsed: list[bytes] = []

    class CountingJson:
        @staticmethod
        def loads(text: bytes) -> Any:
            reparsed.append(text)
            return json.loads(text)

    monkeypatch.setattr(starlette.requests, "json", CountingJson)
    hot = await _arguments_passed(rest_app.build_rest_app)
    assert hot[3][1]["body"] == {"name": "x", "metadata": {"attributes": []}}
    assert hot[4][1]["body"] == {"name": "y"}
    assert reparsed == []
    monkeypatch.setattr(rest_app, "connexion_app", AsyncApp)
    await _arguments_passed(rest_app.build_rest_app)
    assert len(reparsed) == 2  # stock Connexion parses both bodies again (the test can fail)
