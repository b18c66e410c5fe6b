"""Benchmark clients that speak to the zero-trust mesh as one of its parties: with a workload
identity from the mesh's node agent (mTLS), as the operator, or with the headers the edge and
an app's sidecar expect (a token with a gRPC role, the caller a sidecar forwards)."""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import grpc

from bench.common import bearer
from mesh.identity.agent import Workload
from mesh.identity.operator import OperatorCredential
from mesh.runner import Mesh
from mesh.topology import HOST
from services.common.workload_identity import XFCC_HEADER, PeerCertificate, spiffe_id, xfcc_of

Metadata = tuple[tuple[str, str], ...]  # gRPC metadata, as grpcio takes it

# The By and Hash of a forwarded caller's header: the app reads neither.
BENCH_SIDECAR = spiffe_id("bench")
UNCHECKED_HASH = "0" * 64
# mesh.yaml's grpc_roles: market data through the edge needs one of them.
MARKET_DATA_ROLES = ("Developer",)
REQUEST_TIMEOUT_SECONDS = 5.0


def workload_identity(mesh: Mesh, name: str, service: str) -> Path:
    """A certificate the mesh's node agent issues for `name`, an instance of `service` reached
    at loopback, with PEM files for a Python client; its directory."""
    if mesh.agent is None:
        raise RuntimeError("the mesh has no node agent yet: start it first")
    return mesh.agent.provision(Workload(name, spiffe_id(service), hosts=(HOST,), pem=True))


def client_context(identity: Path) -> ssl.SSLContext:
    """A TLS client context presenting the certificate in `identity` (identity.pem) and
    trusting the mesh CA only (ca.pem): the operator's credential has the same three files."""
    return OperatorCredential(identity).ssl_context()


def grpc_client_context(identity: Path) -> ssl.SSLContext:
    """`client_context` for HTTP/2: grpclib does not set ALPN on a context it is given."""
    context = client_context(identity)
    context.set_alpn_protocols(["h2"])
    return context


def grpcio_credentials(identity: Path) -> grpc.ChannelCredentials:
    """grpcio's mTLS credentials from a workload identity's PEM files (grpcio takes bytes, not
    an ssl context)."""
    credential = OperatorCredential(identity)
    key, chain = credential.key_and_chain()
    return grpc.ssl_channel_credentials(
        root_certificates=credential.trust_file.read_bytes(),
        private_key=key,
        certificate_chain=chain,
    )


def market_data_token() -> Metadata:
    """gRPC metadata with a token the edge admits to market data (a Developer's), signed with
    the key the benchmarks' user service loads; valid 10 minutes."""
    return (("authorization", bearer(uuid4(), MARKET_DATA_ROLES)["Authorization"]),)


def forwarded_from(service: str) -> Metadata:
    """gRPC metadata calling an app directly as its sidecar would forward a call from
    `service`'s sidecar (x-forwarded-client-cert): apps trust that header from their sidecar
    alone, which is what a benchmark of an app alone stands in for. The SPIFFE ID only, as
    an app's sidecar forwards it."""
    caller = PeerCertificate(spiffe_id(service), "")
    return ((XFCC_HEADER, xfcc_of(caller, by=BENCH_SIDECAR, certificate_hash=UNCHECKED_HASH)),)


class MeshHttps:
    """One keep-alive HTTPS connection to a mesh listener (the registry's sidecar), presenting
    `context`'s certificate; reconnects after an error. JSON bodies; (status, body bytes)."""

    def __init__(self, url: str, context: ssl.SSLContext) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPSConnection(
            parts.hostname or HOST, parts.port, timeout=REQUEST_TIMEOUT_SECONDS, context=context
        )

    def connect(self) -> MeshHttps:
        """Open the connection (the mTLS handshake) now, not inside the first timed request."""
        self._connection.connect()
        return self

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        data = json.dumps(body) if body is not None else None
        try:
            self._connection.request(method, path, data, headers)
            response = self._connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            raise

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def close(self) -> None:
        self._connection.close()


def operator_registry(mesh: Mesh) -> MeshHttps:
    """The registry's REST API through its sidecar, read as the operator (mTLS)."""
    return MeshHttps(mesh.registry_url, mesh.operator.ssl_context())
