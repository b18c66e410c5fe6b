"""Who may subscribe to the registry's xDS as which node: the Envoy whose certificate (as the
registry's sidecar reports it in XFCC metadata) names that node's instance and service. A bare
grpclib client plays the sidecar's forwarded stream; the whole path through the sidecar is
tests/e2e/test_trust_attacks.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from envoy_data_plane.envoy.config.core.v3 import Node
from envoy_data_plane.envoy.service.discovery.v3 import DiscoveryRequest, DiscoveryResponse
from grpclib import GRPCError, Status
from grpclib.client import Channel
from grpclib.const import Cardinality

from mesh.ports import free_port
from services.registry.adapters.xds import ADS_METHOD, EDS_TYPE_URL, Endpoint, XdsServer
from tests.support.callers import called_by
from tests.support.envoy import HOST

pytestmark = pytest.mark.integration

ANSWER_SECONDS = 5.0
NFT_1 = Node(id="nft-1", cluster="nft")


@pytest.fixture
async def xds() -> AsyncIterator[tuple[XdsServer, int]]:
    server, port = XdsServer(), free_port()
    await server.start(HOST, port)
    server.publish({"user": [Endpoint(HOST, 1)]})
    try:
        yield server, port
    finally:
        await server.stop()


async def subscribe(port: int, node: Node | None, headers: dict[str, str]) -> DiscoveryResponse:
    """The first answer to an EDS subscription sent as `node` (None: the first request names
    no node), or the GRPCError that refused it."""
    request = DiscoveryRequest(type_url=EDS_TYPE_URL, resource_names=["user"])
    if node is not None:
        request.node = node
    channel = Channel(HOST, port)
    try:
        async with channel.request(
            ADS_METHOD,
            Cardinality.STREAM_STREAM,
            DiscoveryRequest,
            DiscoveryResponse,
            metadata=headers,
        ) as stream:
            await stream.send_message(request)
            answer = await asyncio.wait_for(stream.recv_message(), ANSWER_SECONDS)
            assert answer is not None
            await stream.cancel()  # an Envoy keeps its stream open; this one has its answer
            return answer
    finally:
        channel.close()


async def test_the_instance_its_certificate_names_gets_its_endpoints(xds):
    _, port = xds
    answer = await subscribe(port, NFT_1, called_by("nft", "nft-1"))
    assert len(answer.resources) == 1


@pytest.mark.parametrize(
    ("node", "headers"),
    [
        pytest.param(NFT_1, {}, id="no certificate"),
        pytest.param(NFT_1, called_by("nft"), id="no instance in the certificate"),
        pytest.param(NFT_1, called_by("nft", "nft-2"), id="a sibling's certificate"),
        pytest.param(NFT_1, called_by("user", "nft-1"), id="another service's certificate"),
        pytest.param(None, called_by("nft", "nft-1"), id="no node in the first request"),
    ],
)
async def test_any_other_subscriber_is_refused(xds, node, headers):
    _, port = xds
    with pytest.raises(GRPCError) as refused:
        await subscribe(port, node, headers)
    assert refused.value.status is Status.PERMISSION_DENIED
