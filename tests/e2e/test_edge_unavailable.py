"""With no instance of a service left, the edge answers by itself: a REST client gets a 503
problem+json with Retry-After (not Envoy's plain-text "no healthy upstream"), and a gRPC client
gets UNAVAILABLE as a gRPC status (the problem body is not forced on gRPC)."""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest

from generated.grpc.market import MarketDataRequest
from mesh.runner import Mesh
from tests.support.mesh import hosts, poll, running_mesh
from tests.support.tokens import grpc_bearer

pytestmark = pytest.mark.e2e

SEED_SEND = "/market.MarketDataService/SendMarketData"
STATS = "/api/analytics/assets/GONE/stats"


@pytest.fixture(scope="module")
def emptied_mesh(tmp_path_factory: pytest.TempPathFactory) -> Mesh:
    """analytics behind the edge, then its only instance stopped (deregistered)."""
    with running_mesh(
        tmp_path_factory.mktemp("edge-unavailable"),
        services=["analytics"],
        instances={"analytics": 1},
    ) as mesh:
        assert mesh.edge is not None
        (only,) = mesh.instances["analytics"]
        mesh.remove_instance(only.id)
        poll(lambda: not hosts(mesh.edge, "analytics_http"), "analytics out of the edge", 10.0)
        poll(lambda: not hosts(mesh.edge, "analytics_grpc"), "analytics gRPC out", 10.0)
        yield mesh


def test_rest_gets_a_503_problem_with_retry_after(emptied_mesh: Mesh) -> None:
    response = httpx.get(emptied_mesh.edge_url + STATS, trust_env=False, timeout=5)
    print(f"[edge-unavailable] REST: {response.status_code} {response.text}")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    problem = response.json()
    assert problem["status"] == 503 and problem["title"] == "Service Unavailable"
    assert "No healthy instance" in problem["detail"]


def test_grpc_gets_unavailable_as_a_grpc_status(emptied_mesh: Mesh) -> None:
    address = emptied_mesh.edge_url.removeprefix("http://")
    with grpc.insecure_channel(address) as channel:
        send = channel.unary_unary(SEED_SEND)
        request = bytes(MarketDataRequest(asset_symbol="GONE", price=1.0, timestamp=1))
        # A Developer's token: the edge would refuse any other before routing (and so before
        # finding no instance).
        developer = grpc_bearer(uuid.uuid4(), roles=["Developer"])
        with pytest.raises(grpc.RpcError) as refused:
            send(request, metadata=developer, timeout=5)
    print(f"[edge-unavailable] gRPC: {refused.value.code()} {refused.value.details()!r}")
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    # Envoy's own words ("no healthy upstream"), not the JSON body REST clients get.
    assert not (refused.value.details() or "").lstrip().startswith("{")
