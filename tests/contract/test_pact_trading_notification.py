"""Consumer-driven contract for trading -> notification: the outbox delivers each price tick
with `POST /internal/price-ticks` (sourceId = trading's tick id), and a redelivered tick is
answered 200 like a new one (notification dedupes it).

Consumer side: trading's real NotificationDelivery adapter (generated client) talks to pact's
mock notification service; the resulting pact must equal the committed one in contracts/pacts/
(regenerate with CAPSURE_UPDATE_PACTS=1). Provider side: a real notification process is
verified against the committed pact, with provider states set up through its own API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import pytest
from pact import Pact, Verifier, match

from services.common.outbox import OutboxMessage
from services.trading.adapters.notification_client import NotificationDelivery
from tests.support.pacts import PACTS, assert_committed, interactions
from tests.support.platform import running_services

pytestmark = pytest.mark.contract

PACT_FILE = PACTS / "trading-notification.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def tick(symbol: str, source_id: str) -> dict[str, Any]:
    return {
        "id": source_id,
        "assetSymbol": symbol,
        "price": 3120.5,
        "timestamp": 1_764_000_000_000,
        "quantity": 0.0,
    }


NEW_TICK = tick("ETH-USD", "5a0f1e2d-3c4b-4a59-8e7f-6a5b4c3d2e1f")
REDELIVERED_TICK = tick("BTC-USD", "7c2e4a6b-8d0f-4e1a-9b3c-5d7e9f1a3b5c")


def trading_notification_pact() -> Pact:
    return Pact("trading", "notification").with_specification("V4")


def expect_delivery(
    pact: Pact, payload: dict[str, Any], state: str, outcome: str, previous: float | None
) -> None:
    (
        pact.upon_receiving(f"a price tick from trading ({state})")
        .given(state, sourceId=payload["id"], assetSymbol=payload["assetSymbol"])
        .with_request("POST", "/internal/price-ticks")
        .with_body(
            {
                "assetSymbol": match.regex(payload["assetSymbol"], regex=r"^[A-Z0-9-]{1,25}$"),
                "price": match.number(payload["price"]),
                "timestamp": match.int(payload["timestamp"]),
                "sourceId": match.uuid(payload["id"]),
            },
            content_type="application/json",
        )
        .will_respond_with(200)
        .with_body(
            {
                # The generated client reads every field notification's contract requires.
                "assetSymbol": match.str(payload["assetSymbol"]),
                "price": match.number(payload["price"]),
                "timestamp": match.int(payload["timestamp"]),
                "sourceId": match.str(payload["id"]),
                "outcome": match.regex(outcome, regex="^(applied|duplicate|stale)$"),
                "previousPrice": None if previous is None else match.number(previous),
                "alertsFired": match.int(0),
            },
            content_type="application/json",
        )
    )


def message(payload: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(1, "notification.price-ticks", payload, T0, 0, T0)


@pytest.mark.parametrize(
    ("payload", "state", "outcome", "previous"),
    [
        (NEW_TICK, "no tick of the asset was applied", "applied", None),
        (REDELIVERED_TICK, "the tick was already applied", "duplicate", 3120.5),
    ],
)
async def test_consumer_delivers_a_price_tick(pact_dir, payload, state, outcome, previous):
    pact = trading_notification_pact()
    expect_delivery(pact, payload, state, outcome, previous)
    with pact.serve() as server:
        deliver = NotificationDelivery(str(server.url), 2.0)
        try:
            refused = await deliver([message(payload)])
        finally:
            await deliver.aclose()
    assert refused == {}  # taken: nothing to retry or park
    pact.write_file(pact_dir, overwrite=False)


def test_generated_pact_matches_the_committed_contract(pact_dir):
    assert_committed(
        pact_dir, "trading-notification", "tests/contract/test_pact_trading_notification.py"
    )


def test_notification_provider_honours_the_trading_pact(tmp_path):
    with running_services(tmp_path, ["notification"]) as services:
        notification = services["notification"]

        def provider_state(
            state: str, action: Literal["setup", "teardown"], parameters: dict[str, Any] | None
        ) -> None:
            # States are reached through the provider's own API, never its tables.
            if action == "setup" and state == "the tick was already applied":
                params = parameters or {}
                payload = tick(params["assetSymbol"], params["sourceId"])
                response = httpx.post(
                    f"{notification.url}/internal/price-ticks",
                    json={
                        "assetSymbol": payload["assetSymbol"],
                        "price": payload["price"],
                        "timestamp": payload["timestamp"],
                        "sourceId": payload["id"],
                    },
                )
                response.raise_for_status()

        verifier = (
            Verifier("notification", host="127.0.0.1")
            .add_transport(url=notification.url)
            .add_source(PACT_FILE)
            .state_handler(provider_state, teardown=True)
        )
        verifier.verify()
    results = verifier.results["interactionResults"]
    # A wrong provider name verifies nothing and still "passes": count what was verified.
    assert len(results) == len(interactions(PACT_FILE)) == 2
