"""The node agent: hands every workload on this host its identity and renews it in time.

As a SPIRE agent does for its node, the launcher (which starts every process, so knows what
each one is) writes a workload's certificate into that workload's directory before starting
it, and rewrites it at half its lifetime. Envoy picks the new one up through file-based SDS
without a restart; connections already open keep their session."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mesh.identity.ca import CertificateIssuer, CertificateRequest, IssuedCertificate
from mesh.identity.files import write_identity

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(hours=1)
RENEW_FRACTION = 0.5  # of the lifetime gone, as SPIRE and Istio renew
CHECK_INTERVAL_SECONDS = 1.0


@dataclass(frozen=True)
class Workload:
    name: str  # its directory, and the certificate's CN: nft-1, edge, registry, operator
    spiffe_id: str
    hosts: tuple[str, ...] = ()  # where it is reached, as IP or DNS SANs
    pem: bool = False  # also PEM files, for a client that is not an Envoy


@dataclass
class _Held:
    workload: Workload
    issued: IssuedCertificate


class NodeAgent:
    def __init__(
        self,
        issuer: CertificateIssuer,
        root: Path,
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        owner: tuple[int, int] | None = None,
    ) -> None:
        self._issuer = issuer
        self._owner = owner  # (uid, gid) the files are for, when not this process's user
        self._root = root
        self._ttl = ttl
        self._clock = clock
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        return self._root

    def directory(self, name: str) -> Path:
        return self._root / name

    def provision(self, workload: Workload) -> Path:
        """Issue and write `workload`'s identity now; it is renewed from then on."""
        issued = self._issue(workload)
        with self._lock:
            self._held[workload.name] = _Held(workload, issued)
        return self.directory(workload.name)

    def forget(self, name: str) -> None:
        """Stop renewing (the workload is gone); its files stay until its directory goes."""
        with self._lock:
            self._held.pop(name, None)

    def certificate(self, name: str) -> IssuedCertificate:
        with self._lock:
            return self._held[name].issued

    def renew_due(self) -> list[str]:
        """Renew every identity past its renewal time; the names renewed."""
        now = self._clock()
        with self._lock:
            due = [
                h.workload for h in self._held.values() if h.issued.renew_at(RENEW_FRACTION) <= now
            ]
        renewed = []
        for workload in due:
            issued = self._issue(workload)
            with self._lock:
                if workload.name in self._held:
                    self._held[workload.name] = _Held(workload, issued)
                    renewed.append(workload.name)
        return renewed

    @contextmanager
    def renewing(self, interval_seconds: float = CHECK_INTERVAL_SECONDS) -> Iterator[NodeAgent]:
        """Renew in a background thread for as long as the block runs."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval_seconds):
                try:
                    for name in self.renew_due():
                        log.info("renewed the certificate of %s", name)
                except Exception:  # a failed renewal is retried next round; the old one holds
                    log.exception("certificate renewal failed")

        thread = threading.Thread(target=loop, name="node-agent", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def _issue(self, workload: Workload) -> IssuedCertificate:
        request = CertificateRequest(workload.spiffe_id, workload.name, self._ttl, workload.hosts)
        issued = self._issuer.issue(request)
        write_identity(
            self.directory(workload.name),
            issued,
            self._issuer.trust_bundle_pem,
            pem=workload.pem,
            owner=self._owner,
        )
        return issued
