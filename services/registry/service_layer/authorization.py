"""Who may change which registration: an instance only its own, at a host its certificate
names. The caller is the verified certificate its sidecar forwarded (the registry's sidecar
has already refused writes outside the caller's own service: this is the second check)."""

from __future__ import annotations

from services.common.access import Forbidden
from services.common.quoting import quoted
from services.common.workload_identity import PeerCertificate, same_host


def check_registrant(
    caller: PeerCertificate | None, service: str, instance_id: str, host: str | None = None
) -> None:
    """Raise Forbidden unless `caller` is instance `instance_id` of `service` (and, when
    registering, `host` is a host its certificate was issued for)."""
    if caller is None:
        raise Forbidden("registry writes need the instance's own mesh identity (mTLS)")
    if caller.service != service:
        raise Forbidden(f"an instance of {quoted(caller.service)} may not write {quoted(service)}")
    if caller.common_name != instance_id:
        raise Forbidden(
            f"instance {quoted(caller.common_name)} may write only its own registration,"
            f" not {quoted(instance_id)}"
        )
    if host is not None and not any(same_host(host, own) for own in caller.hosts()):
        raise Forbidden(f"{quoted(host)} is not a host this instance's certificate names")
