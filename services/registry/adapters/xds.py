"""xDS control plane: state-of-the-world ADS that pushes EDS (ClusterLoadAssignment) to Envoys.

One grpclib server; every ADS stream is a session with a reader task (Envoy's requests, ACKs and
NACKs) and a writer loop woken by requests and by publish(), so pushes go out at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import grpclib.const
import grpclib.server
from envoy_data_plane.envoy.service.discovery.v3 import DiscoveryRequest, DiscoveryResponse
from envoy_data_plane.google.protobuf import Any

from services.common.grpc_callers import stream_caller
from services.common.quoting import quoted
from services.common.unix_sockets import bind_private_socket
from services.common.workload_identity import PeerCertificate
from services.registry.adapters.eds import EDS_TYPE_URL, Endpoint, encode_assignment

__all__ = ["ADS_METHOD", "EDS_TYPE_URL", "Endpoint", "XdsServer"]

log = logging.getLogger(__name__)

ADS_METHOD = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"

AdsStream = grpclib.server.Stream[DiscoveryRequest, DiscoveryResponse]


class XdsObserver(Protocol):
    """Told of every push (with its latency from the change that caused it, if one did) and
    every push an Envoy refused."""

    def pushed(self, latency_seconds: float | None) -> None: ...

    def rejected(self) -> None: ...


class _Unobserved:
    def pushed(self, latency_seconds: float | None) -> None:
        pass

    def rejected(self) -> None:
        pass


# What one Envoy was (or is to be) sent: (cluster, endpoints) per subscribed cluster, sorted.
Content = tuple[tuple[str, tuple[Endpoint, ...]], ...]


@dataclass(eq=False)
class _Session:
    """One ADS stream: what its Envoy subscribed to and what it was last sent."""

    stream: AdsStream
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    names: tuple[str, ...] = ()
    sent: Content = ()
    nonce: str = ""
    version: str = ""
    node: str | None = None  # its Envoy's node id, once its first request named it
    closed: bool = False
    caller: PeerCertificate | None = None  # as the registry's sidecar verified it
    denied: str | None = None  # why the stream is refused
    sent_at: float = 0.0  # monotonic time of its last response


class XdsServer:
    def __init__(
        self,
        warmup_seconds: float = 0.0,
        *,
        authenticate_callers: bool = True,
        observer: XdsObserver | None = None,
    ) -> None:
        self._observer = observer or _Unobserved()
        self._changed_at: float | None = None  # monotonic time of the last change published
        # Each Envoy subscribes as itself only: its node (id, cluster) must be the instance and
        # service its certificate names. Off only without a sidecar in front (tests of pushes).
        self._authenticate = authenticate_callers
        # A restarted registry knows nothing until the instances' next heartbeats: answering
        # before then would tell every Envoy its clusters are empty. Envoys keep their last
        # endpoints while no answer comes, so hold answers back for `warmup_seconds`.
        self._warmup_seconds = warmup_seconds
        self._warm = asyncio.Event()
        # A fresh boot id per instance: a restarted registry never reuses an old version string.
        self._boot = uuid.uuid4().hex[:12]
        self._versions = itertools.count(1)
        self._nonces = itertools.count(1)
        self._version = f"{self._boot}-0"
        self._state: dict[str, tuple[Endpoint, ...]] = {}
        self._encoded: dict[str, Any] = {}  # per cluster, shared by every stream
        self._sessions: set[_Session] = set()
        self._transports: set[asyncio.BaseTransport] = set()
        self._server: grpclib.server.Server | None = None

    def __mapping__(self) -> dict[str, grpclib.const.Handler]:
        # Raw grpclib handler (not the generated async-generator base): reads and writes must
        # run concurrently on one stream.
        return {
            ADS_METHOD: grpclib.const.Handler(
                self._handle, grpclib.const.Cardinality.STREAM_STREAM,
                DiscoveryRequest, DiscoveryResponse,
            )
        }  # fmt: skip

    async def start(self, host: str, port: int, *, path: Path | None = None) -> None:
        """Serve on host:port, or on the Unix socket `path` (where only the registry's sidecar
        reaches it)."""
        if self._server is not None:
            raise RuntimeError("XdsServer already started")
        server = grpclib.server.Server([self])
        if path is not None:
            # grpclib binds the socket itself: bound here first, 0600, and handed over.
            await server.start(sock=bind_private_socket(path))
        else:
            await server.start(host, port)
        self._server = server
        asyncio.get_running_loop().call_later(self._warmup_seconds, self._warm.set)
        log.info("xDS server listening on %s (boot %s)", path or f"{host}:{port}", self._boot)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()  # stops listening and cancels every stream handler
        # grpclib leaves HTTP/2 connections open: Envoy would keep opening streams on them
        # instead of reconnecting to whichever registry listens next.
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        await server.wait_closed()

    def publish(self, assignments: Mapping[str, Sequence[Endpoint]]) -> None:
        state = {name: tuple(eps) for name, eps in assignments.items() if eps}
        changed = {
            n for n in state.keys() | self._state.keys() if state.get(n) != self._state.get(n)
        }
        if not changed:
            return
        self._state = state
        for name in changed:
            self._encoded.pop(name, None)
        self._version = f"{self._boot}-{next(self._versions)}"
        self._changed_at = time.monotonic()
        for session in self._sessions:
            if changed.intersection(session.names):
                session.wake.set()

    @property
    def connected_streams(self) -> int:
        return len(self._sessions)

    async def _handle(self, stream: AdsStream) -> None:
        if not self._track(stream):
            raise grpclib.GRPCError(grpclib.const.Status.UNAVAILABLE, "xDS server stopped")
        session = _Session(stream, caller=stream_caller(stream))
        self._sessions.add(session)
        reader = asyncio.create_task(self._read(session))
        try:
            await self._warm.wait()
            while True:
                await session.wake.wait()
                session.wake.clear()
                if session.denied is not None:
                    raise grpclib.GRPCError(grpclib.const.Status.PERMISSION_DENIED, session.denied)
                if session.closed:
                    return
                await self._respond(session)
        finally:
            self._sessions.discard(session)
            reader.cancel()
            await asyncio.wait({reader})  # no task outlives its stream

    def _track(self, stream: AdsStream) -> bool:
        """Remember the stream's connection for stop(); close it if already stopped."""
        # grpclib exposes no connection handle; Peer keeps the transport privately.
        transport = getattr(stream.peer, "_transport", None)
        if transport is not None:
            if self._server is None:
                transport.close()
            self._transports = {t for t in self._transports if not t.is_closing()}
            self._transports.add(transport)
        return self._server is not None

    async def _read(self, session: _Session) -> None:
        try:
            async for request in session.stream:
                if not self._on_request(session, request):
                    break
        except Exception as exc:  # any stream error just ends this session
            log.info("ADS stream from %s ended: %r", session.node, exc)
        finally:
            session.closed = True
            session.wake.set()

    def _on_request(self, session: _Session, request: DiscoveryRequest) -> bool:
        """Take one request; False when the stream is refused."""
        if request.node is not None:  # only on the first message (set_node_on_first_message_only)
            if self._authenticate and not _is_node(session.caller, request.node):
                session.denied = (
                    f"node {quoted(request.node.id)} of {quoted(request.node.cluster)} is not"
                    " the workload this connection's certificate names"
                )
                log.warning("refused an ADS stream: %s", session.denied)
                return False
            session.node = request.node.id
            log.info("ADS stream from %s (cluster %s)", request.node.id, request.node.cluster)
        elif self._authenticate and session.node is None:
            session.denied = "the first request of a stream must name its node"
            return False
        if request.type_url != EDS_TYPE_URL:
            log.warning("%s asked for unsupported type %s", session.node, quoted(request.type_url))
            return True
        if request.response_nonce and request.response_nonce != session.nonce:
            return True  # answers a response we have since superseded: the protocol says ignore it
        if request.response_nonce and request.error_detail is not None:
            self._observer.rejected()
            log.warning(
                "%s rejected EDS version %s: %s",
                session.node, session.version, request.error_detail.message,
            )  # fmt: skip
        session.names = tuple(sorted(set(request.resource_names)))
        session.wake.set()
        return True

    async def _respond(self, session: _Session) -> None:
        content = tuple((name, self._state.get(name, ())) for name in session.names)
        # Nothing new for this Envoy (an ACK, a NACK, an unrelated publish): send nothing, so a
        # rejected version is never retried. Empty names: Envoy dropped its last EDS cluster.
        if content == session.sent or not content:
            session.sent = content
            return
        # A change since this Envoy's last response caused this one (not its first, nor a new
        # subscription of its own): how long the change took to reach it.
        changed_at = self._changed_at
        caused = bool(session.sent) and changed_at is not None and changed_at > session.sent_at
        session.sent, session.version = content, self._version
        session.nonce = f"{self._boot}-n{next(self._nonces)}"
        await session.stream.send_message(
            DiscoveryResponse(
                version_info=session.version,
                resources=[self._encode(name) for name in session.names],
                type_url=EDS_TYPE_URL,
                nonce=session.nonce,
            )
        )
        session.sent_at = time.monotonic()
        latency = session.sent_at - changed_at if caused and changed_at is not None else None
        self._observer.pushed(latency)

    def _encode(self, cluster: str) -> Any:
        if cluster not in self._encoded:
            self._encoded[cluster] = encode_assignment(cluster, self._state.get(cluster, ()))
        return self._encoded[cluster]


def _is_node(caller: PeerCertificate | None, node: object) -> bool:
    """The Envoy's node is the workload its certificate names (cluster = service, id = CN)."""
    return (
        caller is not None
        and caller.service == getattr(node, "cluster", None)
        and caller.common_name == getattr(node, "id", None)
    )
