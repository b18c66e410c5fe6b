"""POST /api/trading/market-data/batches on fakes: a feed's batch of up to 1,000 ticks is
stored and queued all or none, in one transaction; bounds and refusals as problem+json; a
keyed retry stores nothing twice."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.common.contracts import load_contract
from services.common.outbox import InMemoryOutboxStore
from services.trading.adapters.consumer_messages import ticks_of
from services.trading.bootstrap import bootstrap, build_deps
from services.trading.config import MAX_BUNDLE_TICKS, TradingSettings
from tests.support.asgi import asgi_client
from tests.support.clock import FakeClock
from tests.support.tokens import bearer, jwks_url
from tests.unit.trading_fakes import InMemoryTickRepository, RecordingTransaction

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"
URL = "/api/trading/market-data/batches"
FUTURE = 4_102_444_800_000  # 2100-01-01


def batch(count: int, **extra) -> dict:
    return {
        "ticks": [
            {"assetSymbol": "BTC", "price": 100.0 + n, "timestamp": 1_700_000_000_000 + n, **extra}
            for n in range(count)
        ]
    }


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def outbox() -> InMemoryOutboxStore:
    return InMemoryOutboxStore(FakeClock())


@pytest.fixture
def transaction(repo, outbox) -> RecordingTransaction:
    return RecordingTransaction(repo, outbox)


@pytest.fixture
async def client(repo, outbox, transaction):
    deps = build_deps(repo, outbox, clock=FakeClock(), transaction=transaction)
    app = bootstrap(TradingSettings(validate_responses=True, jwks_url=jwks_url()), deps=deps)
    async with asgi_client(app) as client:
        client.headers.update(bearer(uuid4(), roles=["Developer"]))
        yield client


async def test_a_batch_is_stored_and_queued_in_order_in_one_transaction(
    client, repo, outbox, transaction
):
    response = await client.post(URL, json=batch(1000, quantity=2.0))
    assert response.status_code == 201, response.text
    assert response.json() == {"accepted": 1000}
    # One bundle per consumer: its relay reads one row for the whole batch.
    assert transaction.commits == [(1000, 2)]
    for topic in ("analytics.ticks", "notification.price-ticks"):
        [bundle] = [m for m in outbox.messages.values() if m.topic == topic]
        assert bundle.items == 1000
        ticks = ticks_of(bundle.payload)
        assert [t["price"] for t in ticks] == [100.0 + n for n in range(1000)]
        assert {t["id"] for t in ticks} == {str(i) for i in repo.ticks}
    assert {t.quantity for t in repo.ticks.values()} == {2.0}


@pytest.mark.parametrize(("roles", "status"), [(None, 401), (["User"], 403), (["Admin"], 201)])
async def test_sending_a_batch_needs_the_developer_or_admin_role(client, roles, status):
    headers = bearer(uuid4(), roles=roles) if roles else {"Authorization": ""}
    assert (await client.post(URL, json=batch(1), headers=headers)).status_code == status


@pytest.mark.parametrize(
    "body",
    [
        batch(1001),
        {"ticks": []},
        {},
        {"ticks": batch(1)["ticks"], "more": 1},
        {"ticks": [{"assetSymbol": "BTC", "price": -1, "timestamp": 1}]},
        {"ticks": "not a list"},
    ],
    ids=["1,001 ticks", "empty", "no ticks", "extra field", "a bad tick", "not a list"],
)
async def test_a_batch_outside_the_contract_is_400_and_stores_nothing(client, repo, outbox, body):
    response = await client.post(URL, json=body)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"] == PROBLEM
    assert len(response.content) < 5_000  # a bounded answer, not the batch echoed back
    assert repo.ticks == {} and outbox.messages == {}


async def test_one_tick_from_the_future_refuses_the_batch_naming_it(client, repo, outbox):
    body = batch(1000)
    for n in (3, 500):
        body["ticks"][n]["timestamp"] = FUTURE
    response = await client.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    detail = response.json()["detail"]
    assert "ticks[3]" in detail and "ticks[500]" in detail
    assert repo.ticks == {} and outbox.messages == {}


async def test_a_keyed_retry_stores_the_batch_once(client, repo, outbox):
    headers = {"Idempotency-Key": "feed-batch-7"}
    first = await client.post(URL, json=batch(10), headers=headers)
    again = await client.post(URL, json=batch(10), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert len(repo.ticks) == 10 and len(outbox.messages) == 2  # a bundle per consumer


def test_a_bundle_holds_at_most_what_one_post_may_carry():
    # The relay's timeouts (TradingSettings.slowest_batch_seconds) count on this bound.
    schemas = load_contract("trading")["components"]["schemas"]
    assert schemas["MarketDataTickBatchInput"]["properties"]["ticks"]["maxItems"] == (
        MAX_BUNDLE_TICKS
    )
