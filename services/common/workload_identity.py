"""Workload identities of the mesh: SPIFFE IDs, and the verified caller a sidecar reports.

Every instance's sidecar holds an X.509 certificate whose one URI SAN is
`spiffe://capsure.local/svc/<service>`; the edge's names `edge`, the registry's `registry`.
A sidecar verifies its caller's certificate (mTLS) and tells its app who called in the
`x-forwarded-client-cert` header (XFCC), which it sets itself after removing any client-sent
copy. The app trusts that header only because nothing but its sidecar can reach it."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from cryptography import x509

TRUST_DOMAIN = "capsure.local"
SERVICE_PATH = "/svc/"
EDGE = "edge"
REGISTRY = "registry"
# A person, not a workload: `make run` issues it for mesh.ctl and the README's registry curls.
OPERATOR_ID = f"spiffe://{TRUST_DOMAIN}/operator"
XFCC_HEADER = "x-forwarded-client-cert"

# mesh.yaml's service names (lower case, digits, _), the edge's and the registry's.
SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_SERVICE_ID = re.compile(rf"spiffe://{re.escape(TRUST_DOMAIN)}/svc/({SERVICE_NAME.pattern})")
# Bounds what a header parse may cost: one hop's XFCC element, with its certificate
# URL-encoded (about 1.2 KB for the mesh's EC certificates), is well under this.
MAX_XFCC_LENGTH = 8192


def spiffe_id(service: str) -> str:
    """The SPIFFE ID of a service (or of the edge, or the registry)."""
    if not SERVICE_NAME.fullmatch(service):
        raise ValueError(f"not a service name: {service!r}")
    return f"spiffe://{TRUST_DOMAIN}{SERVICE_PATH}{service}"


def service_of(identity: str) -> str | None:
    """The service a SPIFFE ID names, or None when it names none of the mesh's workloads."""
    match = _SERVICE_ID.fullmatch(identity)
    return match.group(1) if match else None


@dataclass(frozen=True)
class PeerCertificate:
    """What a sidecar verified of its caller's certificate."""

    uri: str  # the SPIFFE ID
    subject: str  # e.g. CN=nft-1,O=capsure-mesh (the instance)
    certificate_pem: str | None = None  # where the sidecar forwards the whole certificate

    @property
    def service(self) -> str | None:
        return service_of(self.uri)

    @property
    def common_name(self) -> str | None:
        for part in _split_unquoted(self.subject, ","):
            key, _, value = part.partition("=")
            if key.strip().upper() == "CN":
                return value.strip()
        return None

    def hosts(self) -> frozenset[str]:
        """The IP and DNS names the certificate was issued for (empty without the certificate
        or when it does not parse; the sidecar verified it, so no signature check here)."""
        if not self.certificate_pem:
            return frozenset()
        try:
            certificate = x509.load_pem_x509_certificate(self.certificate_pem.encode())
            names = certificate.extensions.get_extension_for_class(
                x509.SubjectAlternativeName
            ).value
        except (ValueError, x509.ExtensionNotFound):
            return frozenset()
        addresses = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
        return frozenset(addresses | set(names.get_values_for_type(x509.DNSName)))


def same_host(first: str, second: str) -> bool:
    """Whether two host strings name the same host (::1 and 0:0::1 do; names compare as is)."""
    try:
        return ipaddress.ip_address(first) == ipaddress.ip_address(second)
    except ValueError:
        return first.lower() == second.lower()


def caller_from_xfcc(header: str | None) -> PeerCertificate | None:
    """The verified caller of this hop from the XFCC header its sidecar set (SANITIZE_SET: one
    element, the last hop's), or None when there is none (not called through a sidecar with
    mTLS). A header that is too long or malformed names nobody."""
    if not header or len(header) > MAX_XFCC_LENGTH:
        return None
    elements = _split_unquoted(header, ",")
    if len(elements) != 1:
        return None  # the sidecar replaces, never appends: more than one element is forged
    fields: dict[str, str] = {}
    for pair in _split_unquoted(elements[0], ";"):
        key, separator, value = pair.partition("=")
        if not separator:
            return None
        fields[key.strip().lower()] = _unquote(value.strip())
    uri = fields.get("uri")
    if not uri:
        return None
    certificate = fields.get("cert")
    return PeerCertificate(
        uri=uri,
        subject=fields.get("subject", ""),
        certificate_pem=unquote(certificate) if certificate else None,
    )


def xfcc_of(caller: PeerCertificate, *, by: str, certificate_hash: str) -> str:
    """The XFCC header a sidecar sets for `caller` (SANITIZE_SET: one element), in Envoy's
    order: By (the sidecar's own SPIFFE ID), Hash (of the caller's certificate), then what it
    is told to print. An app's sidecar prints the URI only (mesh/envoy/sidecar.py); the
    registry's the Subject too, and the whole certificate where it checks hosts
    (mesh/envoy/registry_sidecar.py): set `caller.subject`, `caller.certificate_pem` for
    those. caller_from_xfcc reads it back."""
    fields = [f"By={by}", f"Hash={certificate_hash}"]
    if caller.certificate_pem:
        fields.append(f'Cert="{quote(caller.certificate_pem, safe="")}"')
    if caller.subject:
        fields.append(f'Subject="{_escaped(caller.subject)}"')
    fields.append(f"URI={caller.uri}")
    return ";".join(fields)


def _escaped(value: str) -> str:
    """A value inside XFCC's double quotes (_unquote undoes it)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _split_unquoted(text: str, separator: str) -> list[str]:
    """Split on `separator` outside double quotes (XFCC quotes values holding , ; or =)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
