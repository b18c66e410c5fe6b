"""A workload's identity on disk, where its Envoy reads it through file-based SDS.

One directory per workload (0700): `cert.yaml` (SDS secret `identity`: its certificate and
key) and `trust.yaml` (SDS secret `trust`: the roots a peer must chain to). Each is replaced
atomically (a temp file in the same directory, then rename), which is what Envoy watches for:
a rotation is picked up by the running Envoy without a restart. Clients that are not Envoys
(an operator's curl, Python) also get the same material as PEM files; `identity.pem` holds the
key and its certificate in one file, so a reader never pairs a renewed key with an old
certificate."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from mesh.files import Owner, atomic_write, private_directory
from mesh.identity.ca import IssuedCertificate

SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
IDENTITY_SECRET = "identity"
TRUST_SECRET = "trust"
CERTIFICATE_SDS_FILE = "cert.yaml"
TRUST_SDS_FILE = "trust.yaml"
CERTIFICATE_PEM, KEY_PEM, TRUST_PEM = "cert.pem", "key.pem", "ca.pem"
IDENTITY_PEM = "identity.pem"  # key then certificate: one atomic replace renews both


def write_identity(
    directory: Path,
    issued: IssuedCertificate,
    trust_bundle: bytes,
    *,
    pem: bool = False,
    owner: Owner | None = None,
) -> None:
    """Write (or replace) a workload's identity; `pem` also writes cert.pem, key.pem, ca.pem
    and identity.pem.
    `owner` (uid, gid): who will read it, when the agent runs as another user (a container)."""
    private_directory(directory)  # also when it existed: keys live here
    if owner is not None:
        os.chown(directory, *owner)
    if pem:
        # The key before the certificate: a reader that sees the new certificate finds its key.
        atomic_write(directory / KEY_PEM, issued.private_key_pem, owner=owner)
        atomic_write(directory / CERTIFICATE_PEM, issued.certificate_pem, owner=owner)
        atomic_write(directory / TRUST_PEM, trust_bundle, owner=owner)
        atomic_write(
            directory / IDENTITY_PEM, issued.private_key_pem + issued.certificate_pem, owner=owner
        )
    atomic_write(directory / TRUST_SDS_FILE, _sds(_trust_secret(trust_bundle)), owner=owner)
    atomic_write(directory / CERTIFICATE_SDS_FILE, _sds(_certificate_secret(issued)), owner=owner)


def _certificate_secret(issued: IssuedCertificate) -> dict[str, object]:
    return {
        "@type": SECRET_TYPE,
        "name": IDENTITY_SECRET,
        "tls_certificate": {
            "certificate_chain": {"inline_string": issued.certificate_pem.decode()},
            "private_key": {"inline_string": issued.private_key_pem.decode()},
        },
    }


def _trust_secret(trust_bundle: bytes) -> dict[str, object]:
    return {
        "@type": SECRET_TYPE,
        "name": TRUST_SECRET,
        "validation_context": {"trusted_ca": {"inline_string": trust_bundle.decode()}},
    }


def _sds(secret: dict[str, object]) -> bytes:
    return yaml.safe_dump({"resources": [secret]}, sort_keys=False).encode()
