from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from mesh.envoy import sidecar_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.common import without_control_plane
from mesh.envoy.tls import MeshTls
from mesh.identity.agent import NodeAgent, Workload
from mesh.identity.ca import ROOT_FILE, CertificateRequest, LocalCertificateAuthority
from mesh.ports import free_port
from mesh.processes import EnvoyProcess
from mesh.topology import HOST, Instance, InstancePorts, load_topology
from services.common.workload_identity import XFCC_HEADER, spiffe_id
from tests.support.edge_upstream import running
from tests.support.mesh import poll
from tests.support.threaded_servers import Echo, serving
from tests.support.workload_tls import (
    client_context,
    foreign_certificate,
    handshake_refused,
    plaintext_refused,
)

pytestmark = pytest.mark.integration

TOPOLOGY = load_topology()
SOLD = "/internal/marketplace-transfers"
PUBLIC = "/api/nfts/user/7"
WITHIN_SECONDS = 10.0
# A caller's sidecar's upstream TLS stats: handshakes it ended because the peer's certificate
# did not name the identity it expects (match_typed_subject_alt_names).
FAIL_VERIFY_SAN = "cluster.nft.ssl.fail_verify_san"


@dataclass
class Hop:
    nft: EnvoyProcess
    nft_port: int
    callers: dict[str, EnvoyProcess]  # caller service -> its sidecar
    egress: dict[str, Path]  # caller service -> its sidecar's egress socket to nft
    app: Echo  # nft's app: what its sidecar forwarded
    agent: NodeAgent
    authority: LocalCertificateAuthority
    trust_file: Path  # the mesh CA's root, for hand-made clients


def _instance(service: str, sockets: Path) -> Instance:
    spec = TOPOLOGY.services[service]
    sockets.mkdir(parents=True, mode=0o700)
    return Instance(spec, f"{service}-1", InstancePorts.private(spec, free_port, sockets))


@contextmanager
def hop(tmp_path: Path, nft_identity: str = spiffe_id("nft")) -> Iterator[Hop]:
    """`nft_identity`: what nft's sidecar's certificate says it is."""
    authority = LocalCertificateAuthority.create()
    trust_file = tmp_path / ROOT_FILE
    trust_file.write_bytes(authority.trust_bundle_pem)
    agent = NodeAgent(authority, tmp_path / "identity")
    control = ControlPlane(HOST, free_port(), free_port())  # never reached: configs are static
    app = Echo()
    with ExitStack() as stack:
        nft = _instance("nft", tmp_path / "s" / "nft")
        stack.enter_context(serving(app.handler(), Path(nft.ports.app_http)))
        tls = MeshTls(agent.provision(Workload("nft-1", nft_identity, (HOST,))))
        config = without_control_plane(sidecar_config(TOPOLOGY, nft, control, tls=tls), {})
        nft_envoy = stack.enter_context(running("nft-1", config, nft.ports.admin, tmp_path))
        callers, egress = {}, {}
        for caller in ("trading", "user"):
            instance = _instance(caller, tmp_path / "s" / caller)
            caller_tls = MeshTls(agent.provision(Workload(f"{caller}-1", spiffe_id(caller))))
            config = sidecar_config(TOPOLOGY, instance, control, tls=caller_tls)
            config = without_control_plane(config, {"nft": nft.ports.inbound})
            callers[caller] = stack.enter_context(
                running(f"{caller}-1", config, instance.ports.admin, tmp_path)
            )
            egress[caller] = Path(instance.ports.egress["nft"])
        yield Hop(nft_envoy, nft.ports.inbound, callers, egress, app, agent, authority, trust_file)


def through(egress: Path, method: str, path: str) -> httpx.Response:
    transport = httpx.HTTPTransport(uds=str(egress))
    with httpx.Client(
        transport=transport, base_url="http://nft", timeout=5, trust_env=False
    ) as client:
        return client.request(method, path, headers={"Idempotency-Key": "k-1"}, json={})


def caller_seen_by_app(answer: httpx.Response) -> str | None:
    return answer.json()["headers"].get(XFCC_HEADER)


@pytest.fixture(scope="module")
def mesh_hop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hop]:
    with hop(tmp_path_factory.mktemp("mtls")) as running_hop:
        yield running_hop


def test_a_declared_caller_gets_through_and_the_app_learns_who_it_is(mesh_hop: Hop) -> None:
    answer = through(mesh_hop.egress["trading"], "POST", SOLD)
    assert answer.status_code == 200, answer.text
    assert f"URI={spiffe_id('trading')}" in caller_seen_by_app(answer)
    assert through(mesh_hop.egress["user"], "GET", PUBLIC).status_code == 200
    assert mesh_hop.callers["trading"].counter(FAIL_VERIFY_SAN) == 0


def test_a_caller_not_declared_for_an_internal_operation_gets_a_problem_403(mesh_hop: Hop) -> None:
    before = len(mesh_hop.app.requests())
    answer = through(mesh_hop.egress["user"], "POST", SOLD)
    assert (answer.status_code, answer.headers["content-type"]) == (
        403,
        "application/problem+json",
    )
    assert len(mesh_hop.app.requests()) == before  # never reached the app


def test_plaintext_is_refused(mesh_hop: Hop) -> None:
    assert plaintext_refused(mesh_hop.nft_port)


def test_another_cas_certificate_is_refused(mesh_hop: Hop) -> None:
    foreign = foreign_certificate(spiffe_id("trading"), "trading-9")
    assert handshake_refused(mesh_hop.nft_port, client_context(mesh_hop.trust_file, foreign))


def test_an_expired_certificate_is_refused(mesh_hop: Hop) -> None:
    request = CertificateRequest(spiffe_id("trading"), "trading-1", timedelta(hours=1))
    past = datetime.now(UTC) - timedelta(hours=3)
    issued = mesh_hop.authority.issue_valid(request, past, past + timedelta(hours=1))
    expired = (issued.certificate_pem, issued.private_key_pem)
    assert handshake_refused(mesh_hop.nft_port, client_context(mesh_hop.trust_file, expired))


def test_no_certificate_at_all_is_refused(mesh_hop: Hop) -> None:
    assert handshake_refused(mesh_hop.nft_port, client_context(None))


def test_a_port_nobody_listens_on_is_no_refusal_at_the_handshake() -> None:
    """The refusals above are the sidecar's: a connection refused for want of a listener is
    an error, not a pass."""
    with socket.socket() as closed:
        closed.bind((HOST, 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        with pytest.raises(ConnectionRefusedError):
            handshake_refused(port, client_context(None))
        with pytest.raises(ConnectionRefusedError):
            plaintext_refused(port)


def test_a_valid_mesh_certificate_of_an_undeclared_identity_meets_rbac(mesh_hop: Hop) -> None:
    """The operator's certificate is the mesh CA's, but no service lists it as a caller."""
    issued = mesh_hop.authority.issue(
        CertificateRequest("spiffe://capsure.local/operator", "operator", timedelta(hours=1))
    )
    operator = (issued.certificate_pem, issued.private_key_pem)
    context = client_context(mesh_hop.trust_file, operator)
    with httpx.Client(verify=context, timeout=5, trust_env=False) as client:
        answer = client.get(f"https://{HOST}:{mesh_hop.nft_port}{PUBLIC}")
    assert answer.status_code == 403


def test_a_client_cannot_claim_another_caller_in_the_header(mesh_hop: Hop) -> None:
    transport = httpx.HTTPTransport(uds=str(mesh_hop.egress["user"]))
    forged = {XFCC_HEADER: f'URI={spiffe_id("trading")};Subject="CN=trading-1"'}
    with httpx.Client(
        transport=transport, base_url="http://nft", timeout=5, trust_env=False
    ) as client:
        answer = client.get(PUBLIC, headers=forged)
    assert answer.status_code == 200
    assert f"URI={spiffe_id('user')}" in caller_seen_by_app(answer)
    assert spiffe_id("trading") not in caller_seen_by_app(answer)


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
        # The 503 is the refused identity's, not any other failure to connect.
        assert impostor.callers["trading"].counter(FAIL_VERIFY_SAN) > 0
        assert impostor.app.requests() == []
