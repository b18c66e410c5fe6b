"""/livez answers as long as the app's event loop runs, whatever its readiness: the launcher's
supervisor kills and restarts an app only when this goes silent."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from services.nft.bootstrap import bootstrap, build_deps
from services.nft.config import NftSettings
from tests.support.asgi import asgi_client
from tests.support.tokens import jwks_url
from tests.unit.nft_fakes import InMemoryNftRepository, InMemoryUserDirectory

pytestmark = pytest.mark.unit


async def test_an_app_in_maintenance_is_not_ready_but_alive() -> None:
    settings = NftSettings(jwks_url=jwks_url())
    app = bootstrap(settings, deps=build_deps(InMemoryNftRepository(), InMemoryUserDirectory()))
    async with asgi_client(app) as client:
        assert (await client.get("/livez")).json() == {"status": "alive"}
        os.kill(os.getpid(), signal.SIGUSR1)  # maintenance: readiness fails on purpose
        try:
            # The loop reads the signal when it next polls for I/O (in-process requests make
            # none): a bounded wait that lets it poll.
            for _ in range(200):
                if (await client.get("/healthz")).status_code == 503:
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("maintenance never took effect")
            assert (await client.get("/livez")).status_code == 200
        finally:
            os.kill(os.getpid(), signal.SIGUSR2)
