"""/healthz says ready only while the service's own database answers."""

import pytest

from services.common.database import readiness, service_database
from services.nft.bootstrap import bootstrap
from services.nft.config import NftSettings
from tests.integration.conftest import migrated_and_open
from tests.support.asgi import asgi_client

pytestmark = pytest.mark.integration


async def test_ready_only_while_the_database_is_open(tmp_path):
    spec = service_database("nft", NftSettings(data_dir=tmp_path))
    ready = readiness(spec)
    assert not await ready()
    async with migrated_and_open(spec):
        assert await ready()
    assert not await ready()


async def test_healthz_is_a_503_problem_when_the_database_does_not_answer(tmp_path):
    # No lifespan: the app serves without its database opened.
    app = bootstrap(NftSettings(data_dir=tmp_path))
    async with asgi_client(app, lifespan=False) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503
