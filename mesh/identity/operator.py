"""The operator's credential: a client certificate for the people running the mesh (mesh.ctl,
the README's registry curls, tests), kept with the workloads' identities, renewed like them."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from mesh.identity.agent import Workload
from mesh.identity.files import CERTIFICATE_PEM, IDENTITY_PEM, KEY_PEM, TRUST_PEM
from services.common.workload_identity import OPERATOR_ID

OPERATOR = "operator"
_KEY_END = b"-----END PRIVATE KEY-----\n"
_LOAD_ATTEMPTS = 16  # renewals come at most every second; a read takes a millisecond


def operator_workload() -> Workload:
    return Workload(OPERATOR, OPERATOR_ID, pem=True)


@dataclass(frozen=True)
class OperatorCredential:
    directory: Path  # cert.pem, key.pem, identity.pem, ca.pem (0600, in a 0700 directory)

    @property
    def certificate_file(self) -> Path:
        return self.directory / CERTIFICATE_PEM

    @property
    def key_file(self) -> Path:
        return self.directory / KEY_PEM

    @property
    def identity_file(self) -> Path:
        """The key and its certificate in one file, replaced atomically on renewal: what to
        read while the mesh runs (two files can be caught between a renewal's writes)."""
        return self.directory / IDENTITY_PEM

    @property
    def trust_file(self) -> Path:
        return self.directory / TRUST_PEM

    def ssl_context(self) -> ssl.SSLContext:
        """A client context presenting the operator certificate and trusting the mesh CA only.
        Read from the files each time: they are renewed while the mesh runs."""
        for _ in range(_LOAD_ATTEMPTS):
            read_from = self._version()
            try:
                context = ssl.create_default_context(cafile=str(self.trust_file))
                # Opens the file twice (certificate, then key): a renewal that replaced it in
                # between shows as a new version, and the next read is of one renewal.
                context.load_cert_chain(str(self.identity_file))
                return context
            except ssl.SSLError:
                if self._version() == read_from:
                    raise
        raise ssl.SSLError(
            f"{self.identity_file} was replaced during each of {_LOAD_ATTEMPTS} reads"
        )

    def _version(self) -> tuple[int, int]:
        # A renewal renames a new file over it: a new inode, and a new change time (inode
        # numbers alone are reused).
        status = self.identity_file.stat()
        return status.st_ino, status.st_ctime_ns

    def key_and_chain(self) -> tuple[bytes, bytes]:
        """The private key and the certificate chain (PEM) of one renewal, for clients that
        take bytes (grpcio)."""
        pem = self.identity_file.read_bytes()
        key, found, chain = pem.partition(_KEY_END)
        if not found or not chain:
            raise ValueError(f"{self.identity_file} holds no key followed by a certificate")
        return key + found, chain

    def curl_options(self) -> str:
        """What to add to a curl command line, as the README shows (curl finds the key in the
        certificate file)."""
        return f"--cacert {self.trust_file} --cert {self.identity_file}"
