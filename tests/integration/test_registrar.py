"""An instance's heartbeat when the registry answers something other than its contract: it
reports it once and keeps beating (a heartbeat that died would get the instance dropped)."""

from __future__ import annotations

import json
import logging

import pytest

from services.common.registrar import InstanceIdentity, Registrar
from tests.support.envoy import wait_until
from tests.support.scripted_peer import http_answer, tcp_server

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("status", "body"),
    [
        ("503 Service Unavailable", b"no healthy upstream"),  # a proxy's plain text
        ("504 Gateway Timeout", b""),
        ("500 Internal Server Error", b"{}"),
    ],
)
async def test_the_heartbeat_outlives_answers_off_the_contract(status, body, caplog):
    beats: list[bytes] = []
    async with (
        tcp_server(http_answer("200 OK", b'{"status": "ok"}')) as app,
        tcp_server(http_answer(status, body, requests=beats)) as registry,
    ):
        identity = InstanceIdentity("nft", "nft-x", "127.0.0.1:1", f"http://{app}/healthz")
        with caplog.at_level(logging.WARNING, logger="services.common.registrar"):
            async with Registrar(registry, identity, interval=0.01).running():

                async def beating_on() -> bool:
                    return len(beats) >= 3

                await wait_until(beating_on, "three heartbeats", within=10)
    reports = [r.getMessage() for r in caplog.records if r.name == "services.common.registrar"]
    assert len(reports) == 1, reports  # once per outage, not per beat
    assert reports[0].startswith("heartbeat of nft-x failed: registry answered ")


@pytest.mark.parametrize(("metrics_port", "sent"), [(9101, {"metricsPort": 9101}), (None, {})])
async def test_the_heartbeat_tells_where_prometheus_scrapes_the_instance(metrics_port, sent):
    beats: list[bytes] = []
    async with (
        tcp_server(http_answer("200 OK", b'{"status": "ok"}')) as app,
        tcp_server(http_answer("503 Service Unavailable", b"", requests=beats)) as registry,
    ):
        identity = InstanceIdentity(
            "nft", "nft-x", "127.0.0.1:1", f"http://{app}/healthz", metrics_port=metrics_port
        )
        async with Registrar(registry, identity, interval=0.01).running():

            async def beat_sent() -> bool:
                return len(beats) >= 1

            await wait_until(beat_sent, "a heartbeat", within=10)
    body = json.loads(beats[0].partition(b"\r\n\r\n")[2])
    assert body == {"host": "127.0.0.1", "port": 1, "status": "SERVING", **sent}
