"""The node agent: hands every workload on this host its identity and renews it in time.

As a SPIRE agent does for its node, the launcher (which starts every process, so knows what
each one is) writes a workload's certificate into that workload's directory before starting
it, and rewrites it at half its lifetime. Envoy picks the new one up through file-based SDS
without a restart; connections already open keep their session."""

from __future__ import annotations

import contextlib
import logging
import shutil
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
# What an operator may ask for: renewed at half-life on a check every second, shorter would
# rotate all the time; a longer life keeps a stolen key useful for longer.
MIN_TTL, MAX_TTL = timedelta(seconds=10), timedelta(days=30)
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

    @staticmethod
    def ttl_of(seconds: float) -> timedelta:
        """The certificate lifetime an operator asked for (the launcher's and the agent's
        command lines), within MIN_TTL..MAX_TTL; a ValueError saying so otherwise (NaN too).
        Tests may give the agent itself a shorter one (a rotation within seconds)."""
        if not MIN_TTL.total_seconds() <= seconds <= MAX_TTL.total_seconds():
            raise ValueError(f"must be between 10 s and 30 days (got {seconds:g} s)")
        return timedelta(seconds=seconds)

    @property
    def root(self) -> Path:
        return self._root

    def directory(self, name: str) -> Path:
        return self._root / name

    def provision(self, workload: Workload) -> Path:
        """Issue and write `workload`'s identity now; it is renewed from then on."""
        issued = self._request(workload)
        with self._lock:
            self._write(workload, issued)
            self._held[workload.name] = _Held(workload, issued)
        return self.directory(workload.name)

    def forget(self, name: str) -> None:
        """Stop renewing (the workload is gone) and delete its identity directory: no valid
        key outlives its workload on disk."""
        with self._lock:
            self._held.pop(name, None)
            with contextlib.suppress(FileNotFoundError):  # never provisioned, or forgotten
                shutil.rmtree(self.directory(name))

    def certificate(self, name: str) -> IssuedCertificate:
        with self._lock:
            return self._held[name].issued

    def renew_due(self) -> list[str]:
        """Renew every identity past its renewal time; the names renewed. One that cannot be
        renewed now is logged and tried again next time (its certificate holds until then),
        without holding up the others."""
        now = self._clock()
        with self._lock:
            due = [h for h in self._held.values() if h.issued.renew_at(RENEW_FRACTION) <= now]
        renewed = []
        for held in due:
            name = held.workload.name
            try:
                issued = self._request(held.workload)
                with self._lock:
                    if self._held.get(name) is not held:
                        continue  # forgotten (or provisioned anew) while it was issued
                    self._write(held.workload, issued)
                    self._held[name] = _Held(held.workload, issued)
            except Exception:
                log.exception(
                    "could not renew the certificate of %s (valid until %s); trying again",
                    name,
                    held.issued.not_after.isoformat(),
                )
                continue
            renewed.append(name)
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

    def _request(self, workload: Workload) -> IssuedCertificate:
        request = CertificateRequest(workload.spiffe_id, workload.name, self._ttl, workload.hosts)
        return self._issuer.issue(request)

    def _write(self, workload: Workload, issued: IssuedCertificate) -> None:
        """Under the lock: `forget` deletes the directory under it too, so a renewal finishing
        after it never brings the directory back."""
        write_identity(
            self.directory(workload.name),
            issued,
            self._issuer.trust_bundle_pem,
            pem=workload.pem,
            owner=self._owner,
        )
