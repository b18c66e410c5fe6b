"""The operator's credential: a client certificate for the people running the mesh (mesh.ctl,
the README's registry curls, tests), kept with the workloads' identities, renewed like them."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from mesh.identity.agent import Workload
from mesh.identity.files import CERTIFICATE_PEM, KEY_PEM, TRUST_PEM
from services.common.workload_identity import OPERATOR_ID

OPERATOR = "operator"


def operator_workload() -> Workload:
    return Workload(OPERATOR, OPERATOR_ID, pem=True)


@dataclass(frozen=True)
class OperatorCredential:
    directory: Path  # cert.pem, key.pem, ca.pem (0600, in a 0700 directory)

    @property
    def certificate_file(self) -> Path:
        return self.directory / CERTIFICATE_PEM

    @property
    def key_file(self) -> Path:
        return self.directory / KEY_PEM

    @property
    def trust_file(self) -> Path:
        return self.directory / TRUST_PEM

    def ssl_context(self) -> ssl.SSLContext:
        """A client context presenting the operator certificate and trusting the mesh CA only.
        Read from the files each time: they are renewed while the mesh runs."""
        try:
            return self._context()
        except ssl.SSLError:
            # Caught between the renewal's key and certificate writes: the next read matches.
            return self._context()

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.trust_file))
        context.load_cert_chain(str(self.certificate_file), str(self.key_file))
        return context

    def curl_options(self) -> str:
        """What to add to a curl command line, as the README shows."""
        return f"--cacert {self.trust_file} --cert {self.certificate_file} --key {self.key_file}"
