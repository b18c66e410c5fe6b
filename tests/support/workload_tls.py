"""Clients that present a workload's mesh certificate, as only that workload could (or whoever
stole it), and clients that present none or a foreign one: for attacks on the running mesh.

The node agent writes each workload's identity under `<workdir>/identity/<name>/cert.yaml` as
file SDS (inline PEMs, read by its Envoy); the mesh CA's root is `<workdir>/data/ca/ca.pem`.
Python's ssl loads a certificate only from files, so the PEMs are copied into a private
temporary directory for as long as loading takes."""

from __future__ import annotations

import socket
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml

from mesh.identity.ca import ROOT_FILE, CertificateRequest, LocalCertificateAuthority
from mesh.identity.files import CERTIFICATE_SDS_FILE
from mesh.identity.local import CA_DIR
from mesh.runner import Mesh
from mesh.topology import HOST

TIMEOUT_SECONDS = 5.0


def mesh_ca_file(mesh: Mesh) -> Path:
    return mesh.workdir / CA_DIR / ROOT_FILE


def workload_pems(mesh: Mesh, workload: str) -> tuple[bytes, bytes]:
    """(certificate chain, private key) PEMs the node agent last wrote for `workload`
    (`nft-1`, `edge`, `registry`, `operator`...). One file holds both, replaced atomically, so
    they always match."""
    assert mesh.agent is not None, "the mesh has no node agent yet"
    sds = yaml.safe_load((mesh.agent.directory(workload) / CERTIFICATE_SDS_FILE).read_text())
    secret = sds["resources"][0]["tls_certificate"]
    return (
        secret["certificate_chain"]["inline_string"].encode(),
        secret["private_key"]["inline_string"].encode(),
    )


def client_context(
    trust_file: Path | None, certificate: tuple[bytes, bytes] | None = None
) -> ssl.SSLContext:
    """A TLS client context presenting `certificate` (chain, key PEMs) if any, verifying the
    server against `trust_file` (None: not verifying it at all, as an attacker probing would)."""
    if trust_file is None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=str(trust_file))
    if certificate is not None:
        load_certificate(context, certificate)
    return context


def load_certificate(context: ssl.SSLContext, certificate: tuple[bytes, bytes]) -> None:
    """Make `context` present `certificate` (chain, key PEMs): through files only it reads."""
    with tempfile.TemporaryDirectory(prefix="capsure-tls-") as scratch:
        chain, key = Path(scratch) / "cert.pem", Path(scratch) / "key.pem"
        chain.write_bytes(certificate[0])
        key.write_bytes(certificate[1])
        context.load_cert_chain(str(chain), str(key))


def workload_context(mesh: Mesh, workload: str) -> ssl.SSLContext:
    """A client context holding `workload`'s current certificate, trusting the mesh CA only."""
    return client_context(mesh_ca_file(mesh), workload_pems(mesh, workload))


@contextmanager
def workload_client(mesh: Mesh, workload: str, **options: Any) -> Iterator[httpx.Client]:
    """An httpx client presenting `workload`'s mesh certificate (mTLS), e.g. to a sidecar's
    inbound at `https://127.0.0.1:<inbound>`."""
    context = workload_context(mesh, workload)
    with httpx.Client(
        verify=context, trust_env=False, timeout=TIMEOUT_SECONDS, **options
    ) as client:
        yield client


@cache
def foreign_authority() -> LocalCertificateAuthority:
    """Someone else's CA: its certificates say the right SPIFFE IDs but chain to nothing the
    mesh trusts."""
    return LocalCertificateAuthority.create("an attacker's CA")


def foreign_certificate(spiffe_id: str, name: str) -> tuple[bytes, bytes]:
    """(chain, key) PEMs for `spiffe_id` from `foreign_authority`, naming loopback too."""
    request = CertificateRequest(spiffe_id, name, timedelta(hours=1), (HOST,))
    issued = foreign_authority().issue(request)
    return issued.certificate_pem, issued.private_key_pem


def handshake_refused(port: int, context: ssl.SSLContext, host: str = HOST) -> bool:
    """True when the server ends the TLS connection without serving a request: the handshake
    fails, or (TLS 1.3 verifies the client's certificate after the client thinks it is done)
    the first read finds the connection closed or an alert. A connection refused (nothing
    listens there) is no such refusal: ConnectionRefusedError propagates."""
    try:
        with (
            socket.create_connection((host, port), timeout=TIMEOUT_SECONDS) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            tls.sendall(b"GET /healthz HTTP/1.1\r\nhost: mesh\r\n\r\n")
            return tls.recv(1024) == b""
    except ConnectionRefusedError:
        raise
    except (ssl.SSLError, ConnectionError):  # reset, aborted, broken pipe: ended by the server
        return True


def plaintext_refused(port: int, host: str = HOST) -> bool:
    """True when a plaintext HTTP request gets no HTTP answer (the TLS listener closes). A
    connection refused (nothing listens there) is no answer from a TLS listener either:
    ConnectionRefusedError propagates."""
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_SECONDS) as raw:
            raw.sendall(b"GET /healthz HTTP/1.1\r\nhost: mesh\r\n\r\n")
            return not raw.recv(1024).startswith(b"HTTP/")
    except ConnectionRefusedError:
        raise
    except ConnectionError:
        return True
