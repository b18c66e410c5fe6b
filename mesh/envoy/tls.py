"""mTLS on every hop of the mesh: what an Envoy presents (its workload certificate) and what it
accepts (a certificate from the mesh CA, naming the expected peer).

Both secrets come from files the node agent writes (mesh/identity/files.py), read through
file-based SDS: when the agent replaces a file, Envoy reloads it, so certificates rotate
without a restart and no key ever travels over xDS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from mesh.envoy.common import Config, typed
from mesh.identity.files import (
    CERTIFICATE_SDS_FILE,
    IDENTITY_SECRET,
    TRUST_SDS_FILE,
    TRUST_SECRET,
)
from mesh.topology import Protocol

TLS_SOCKET = "envoy.transport_sockets.tls"
DOWNSTREAM = "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
UPSTREAM = "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
# Every end of every hop is an Envoy: no client needs anything older.
# Envoy clients default to at most TLS 1.2: both ends are pinned.
TLS_PARAMS = {
    "tls_minimum_protocol_version": "TLSv1_3",
    "tls_maximum_protocol_version": "TLSv1_3",
}
# What each protocol is called in a TLS handshake: gRPC needs HTTP/2, REST speaks HTTP/1.1.
ALPN: dict[Protocol, str] = {"grpc": "h2", "http": "http/1.1"}
# The inbound port serves REST (HTTP/1.1) and gRPC (HTTP/2) alike: ALPN tells them apart.
INBOUND_PROTOCOLS: tuple[Protocol, ...] = ("grpc", "http")
# What of the verified certificate x-forwarded-client-cert carries: its SPIFFE ID, its subject
# (the instance's CN), the whole PEM.
CertificateDetail = Literal["uri", "subject", "cert"]


@dataclass(frozen=True)
class MeshTls:
    """Where one Envoy finds its identity: the directory holding cert.yaml and trust.yaml, as
    that Envoy sees it (a host path under `make run`, a mount in a container)."""

    directory: PurePath

    def secret(self, name: str, file: str) -> Config:
        path = str(self.directory / file)
        return {
            "name": name,
            "sds_config": {"path_config_source": {"path": path}, "resource_api_version": "V3"},
        }

    @property
    def certificate(self) -> Config:
        return self.secret(IDENTITY_SECRET, CERTIFICATE_SDS_FILE)

    @property
    def trust(self) -> Config:
        return self.secret(TRUST_SECRET, TRUST_SDS_FILE)


def downstream_tls(tls: MeshTls, protocols: Sequence[Protocol] = INBOUND_PROTOCOLS) -> Config:
    """A listener that only talks to callers holding a certificate from the mesh CA: plaintext,
    another CA's certificate or an expired one end the handshake. Who the caller is gets
    decided after, by RBAC on its SPIFFE ID."""
    context = typed(
        DOWNSTREAM,
        require_client_certificate=True,
        common_tls_context={
            "tls_params": TLS_PARAMS,
            "tls_certificate_sds_secret_configs": [tls.certificate],
            "validation_context_sds_secret_config": tls.trust,
            "alpn_protocols": [ALPN[protocol] for protocol in protocols],
        },
    )
    return {"name": TLS_SOCKET, "typed_config": context}


def verified_callers(
    tls: MeshTls,
    *,
    details: Sequence[CertificateDetail],
    protocols: Sequence[Protocol] = INBOUND_PROTOCOLS,
) -> Config:
    """A listener's `downstream_tls`, and its HTTP connection manager telling the app who called
    in x-forwarded-client-cert: SANITIZE_SET drops whatever the caller sent in that header and
    sets it from the certificate just verified, with `details` of it."""
    return {
        "transport_socket": downstream_tls(tls, protocols),
        "forward_client_cert_details": "SANITIZE_SET",
        "set_current_client_cert_details": dict.fromkeys(details, True),
    }


def upstream_tls(tls: MeshTls, peer_identity: str, protocol: Protocol) -> Config:
    """A cluster that presents this Envoy's certificate and talks `protocol` only to a peer
    whose certificate is from the mesh CA and names `peer_identity`: a process registered under
    a service's name without its certificate gets no request (and no caller's token)."""
    context = typed(
        UPSTREAM,
        common_tls_context={
            "tls_params": TLS_PARAMS,
            "tls_certificate_sds_secret_configs": [tls.certificate],
            "combined_validation_context": {
                "default_validation_context": {
                    "match_typed_subject_alt_names": [
                        {"san_type": "URI", "matcher": {"exact": peer_identity}}
                    ]
                },
                "validation_context_sds_secret_config": tls.trust,
            },
            "alpn_protocols": [ALPN[protocol]],
        },
    )
    return {"name": TLS_SOCKET, "typed_config": context}
