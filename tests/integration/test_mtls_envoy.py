"""mTLS and RBAC on real Envoys, without the rest of the mesh: nft's sidecar in front of a
recording app on its private socket, reached through trading's and user's sidecars (generated
configs, their EDS made static) and by hand-made TLS clients.

What must hold: only a certificate from the mesh CA gets through the handshake (plaintext,
another CA's, an expired one are refused); RBAC admits only the declared callers per path; the
app learns the verified caller from the sidecar and never from the client; a certificate is
rotated under the running Envoy; and a sidecar talks to a peer only if it holds the peer's
identity."""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from mesh.envoy import sidecar_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.common import single_endpoint
from mesh.envoy.tls import MeshTls
from mesh.identity.agent import NodeAgent, Workload
from mesh.identity.ca import CertificateRequest, LocalCertificateAuthority
from mesh.ports import free_port
from mesh.processes import EnvoyProcess
from mesh.topology import HOST, Instance, InstancePorts, load_topology
from services.common.workload_identity import XFCC_HEADER, spiffe_id
from tests.support.edge_upstream import running
from tests.support.mesh import poll

pytestmark = pytest.mark.integration

TOPOLOGY = load_topology()
SOLD = "/internal/marketplace-transfers"
PUBLIC = "/api/nfts/user/7"
WITHIN_SECONDS = 10.0


class _UnixHttpServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


@dataclass
class RecordingApp:
    """nft's app: answers 200 with the path and the caller its sidecar reported."""

    seen: list[tuple[str, str | None]]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self._answer()

            def _answer(self) -> None:
                caller = self.headers.get(XFCC_HEADER)
                if self.path != "/healthz":
                    app.seen.append((self.path, caller))
                body = json.dumps({"path": self.path, "caller": caller}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def address_string(self) -> str:
                return "sidecar"

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@dataclass
class Hop:
    nft: EnvoyProcess
    nft_port: int
    egress: dict[str, Path]  # caller service -> its sidecar's egress socket to nft
    app: RecordingApp
    agent: NodeAgent
    authority: LocalCertificateAuthority
    identity_root: Path


def _instance(service: str, sockets: Path) -> Instance:
    spec = TOPOLOGY.services[service]
    sockets.mkdir(parents=True, mode=0o700)
    return Instance(spec, f"{service}-1", InstancePorts.private(spec, free_port, sockets))


def _static(config: dict[str, Any], endpoints: dict[str, int]) -> dict[str, Any]:
    """No control plane: each EDS cluster named in `endpoints` gets that port on loopback."""
    config.pop("dynamic_resources")
    for cluster in config["static_resources"]["clusters"]:
        if cluster["type"] == "EDS":
            del cluster["eds_cluster_config"]
            cluster["type"] = "STATIC"
            port = endpoints.get(cluster["name"], free_port())  # nothing listens there
            cluster["load_assignment"] = single_endpoint(cluster["name"], (HOST, port))
    return config


@contextmanager
def hop(tmp_path: Path, nft_identity: str = spiffe_id("nft")) -> Iterator[Hop]:
    """`nft_identity`: what nft's sidecar's certificate says it is."""
    authority = LocalCertificateAuthority.create()
    root = tmp_path / "identity"
    agent = NodeAgent(authority, root)
    control = ControlPlane(HOST, free_port(), free_port())  # never reached: configs are static
    seen: list[tuple[str, str | None]] = []
    app = RecordingApp(seen)
    with ExitStack() as stack:
        nft = _instance("nft", tmp_path / "s" / "nft")
        server = _UnixHttpServer(str(nft.ports.app_http), app.handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        tls = MeshTls(agent.provision(Workload("nft-1", nft_identity, (HOST,))))
        config = _static(sidecar_config(TOPOLOGY, nft, control, tls=tls), {})
        nft_envoy = stack.enter_context(running("nft-1", config, nft.ports.admin, tmp_path))
        egress = {}
        for caller in ("trading", "user"):
            instance = _instance(caller, tmp_path / "s" / caller)
            caller_tls = MeshTls(agent.provision(Workload(f"{caller}-1", spiffe_id(caller))))
            config = sidecar_config(TOPOLOGY, instance, control, tls=caller_tls)
            config = _static(config, {"nft": nft.ports.inbound})
            stack.enter_context(running(f"{caller}-1", config, instance.ports.admin, tmp_path))
            egress[caller] = Path(instance.ports.egress["nft"])
        yield Hop(nft_envoy, nft.ports.inbound, egress, app, agent, authority, root)


def through(egress: Path, method: str, path: str) -> httpx.Response:
    transport = httpx.HTTPTransport(uds=str(egress))
    with httpx.Client(transport=transport, base_url="http://nft", timeout=5) as client:
        return client.request(method, path, headers={"Idempotency-Key": "k-1"}, json={})


def tls_client(hop: Hop, certificate_pem: bytes, key_pem: bytes, directory: Path) -> ssl.SSLContext:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cert.pem").write_bytes(certificate_pem)
    (directory / "key.pem").write_bytes(key_pem)
    (directory / "ca.pem").write_bytes(hop.authority.trust_bundle_pem)
    context = ssl.create_default_context(cafile=str(directory / "ca.pem"))
    context.load_cert_chain(str(directory / "cert.pem"), str(directory / "key.pem"))
    return context


def handshake_refused(port: int, context: ssl.SSLContext) -> bool:
    """True when the server ends the TLS connection without serving a request."""
    try:
        with (
            socket.create_connection((HOST, port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=HOST) as tls,
        ):
            tls.sendall(b"GET /api/nfts/user/7 HTTP/1.1\r\nhost: nft\r\n\r\n")
            return tls.recv(1024) == b""
    except (ssl.SSLError, ConnectionError):
        return True


@pytest.fixture(scope="module")
def mesh_hop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hop]:
    with hop(tmp_path_factory.mktemp("mtls")) as running_hop:
        yield running_hop


def test_a_declared_caller_gets_through_and_the_app_learns_who_it_is(mesh_hop: Hop) -> None:
    answer = through(mesh_hop.egress["trading"], "POST", SOLD)
    assert answer.status_code == 200, answer.text
    caller = answer.json()["caller"]
    assert f"URI={spiffe_id('trading')}" in caller
    assert through(mesh_hop.egress["user"], "GET", PUBLIC).status_code == 200


def test_a_caller_not_declared_for_an_internal_operation_gets_a_problem_403(mesh_hop: Hop) -> None:
    before = len(mesh_hop.app.seen)
    answer = through(mesh_hop.egress["user"], "POST", SOLD)
    assert (answer.status_code, answer.headers["content-type"]) == (
        403,
        "application/problem+json",
    )
    assert len(mesh_hop.app.seen) == before  # never reached the app


def test_plaintext_is_refused(mesh_hop: Hop) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://{HOST}:{mesh_hop.nft_port}{PUBLIC}", timeout=5)


def test_another_cas_certificate_is_refused(mesh_hop: Hop, tmp_path: Path) -> None:
    foreign = LocalCertificateAuthority.create("someone else's CA")
    issued = foreign.issue(
        CertificateRequest(spiffe_id("trading"), "trading-9", timedelta(hours=1))
    )
    context = tls_client(mesh_hop, issued.certificate_pem, issued.private_key_pem, tmp_path)
    assert handshake_refused(mesh_hop.nft_port, context)


def test_an_expired_certificate_is_refused(mesh_hop: Hop, tmp_path: Path) -> None:
    request = CertificateRequest(spiffe_id("trading"), "trading-1", timedelta(hours=1))
    past = datetime.now(UTC) - timedelta(hours=3)
    issued = mesh_hop.authority.issue_valid(request, past, past + timedelta(hours=1))
    context = tls_client(mesh_hop, issued.certificate_pem, issued.private_key_pem, tmp_path)
    assert handshake_refused(mesh_hop.nft_port, context)


def test_no_certificate_at_all_is_refused(mesh_hop: Hop) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    assert handshake_refused(mesh_hop.nft_port, context)


def test_a_valid_mesh_certificate_of_an_undeclared_identity_meets_rbac(
    mesh_hop: Hop, tmp_path: Path
) -> None:
    """The operator's certificate is the mesh CA's, but no service lists it as a caller."""
    issued = mesh_hop.authority.issue(
        CertificateRequest("spiffe://capsure.local/operator", "operator", timedelta(hours=1))
    )
    context = tls_client(mesh_hop, issued.certificate_pem, issued.private_key_pem, tmp_path)
    with httpx.Client(verify=context, timeout=5) as client:
        answer = client.get(f"https://{HOST}:{mesh_hop.nft_port}{PUBLIC}")
    assert answer.status_code == 403


def test_a_client_cannot_claim_another_caller_in_the_header(mesh_hop: Hop) -> None:
    transport = httpx.HTTPTransport(uds=str(mesh_hop.egress["user"]))
    forged = {XFCC_HEADER: f'URI={spiffe_id("trading")};Subject="CN=trading-1"'}
    with httpx.Client(transport=transport, base_url="http://nft", timeout=5) as client:
        answer = client.get(PUBLIC, headers=forged)
    assert answer.status_code == 200
    assert f"URI={spiffe_id('user')}" in answer.json()["caller"]
    assert spiffe_id("trading") not in answer.json()["caller"]


def serial(envoy: EnvoyProcess) -> str:
    certificates = json.loads(envoy.admin("/certs"))["certificates"]
    chains = [c["cert_chain"][0] for c in certificates if c.get("cert_chain")]
    return chains[0]["serial_number"]


def test_a_renewed_certificate_is_served_without_a_restart(mesh_hop: Hop) -> None:
    before, pid = serial(mesh_hop.nft), mesh_hop.nft.pid
    mesh_hop.agent.provision(Workload("nft-1", spiffe_id("nft"), (HOST,)))
    renewed = mesh_hop.agent.certificate("nft-1")
    seconds = poll(lambda: serial(mesh_hop.nft) != before, "serving the renewed", WITHIN_SECONDS)
    assert mesh_hop.nft.pid == pid and mesh_hop.nft.running
    from cryptography import x509

    expected = f"{x509.load_pem_x509_certificate(renewed.certificate_pem).serial_number:x}"
    assert serial(mesh_hop.nft).lstrip("0") == expected.lstrip("0")
    assert through(mesh_hop.egress["trading"], "POST", SOLD).status_code == 200
    print(f"\nrenewed certificate served after {seconds * 1000:.0f} ms, same Envoy")


def test_a_sidecar_talks_only_to_a_peer_holding_its_identity(tmp_path: Path) -> None:
    """Where nft's endpoints point, a sidecar holding user's certificate (a process registered
    under nft's name): trading's sidecar refuses the handshake, so neither the request nor the
    caller's token reaches it, and the app behind it sees nothing."""
    with hop(tmp_path, nft_identity=spiffe_id("user")) as impostor:
        answer = through(impostor.egress["trading"], "POST", SOLD)
        assert answer.status_code == 503
        assert impostor.app.seen == []
