"""The user service's RS256 keyring: one PEM file per key in a directory shared by its instances.

A key's id says when it starts signing. A rotated-in key is published in the JWKS for
`activation_seconds` before it signs anything, so every verifier (the edge caches the JWKS)
knows it before the first token it signs arrives; the key it replaces stays published for
`retire_after_seconds` (the access-token lifetime plus leeway), so its tokens keep verifying
until they expire. Instances re-read the directory when it changes: rotation needs no restart."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.common.auth import ALGORITHM, SigningKey

logger = logging.getLogger(__name__)

KID_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
KEY_SUFFIX = ".pem"


@dataclass(frozen=True)
class KeyFile:
    kid: str
    activates_at: datetime
    private_key: Any


def new_kid(activates_at: datetime) -> str:
    return f"{activates_at.astimezone(UTC):{KID_TIME_FORMAT}}-{secrets.token_hex(4)}"


def activation_of(kid: str) -> datetime:
    return datetime.strptime(kid.split("-", 1)[0], KID_TIME_FORMAT).replace(tzinfo=UTC)


class FileKeyring:
    def __init__(
        self,
        directory: Path,
        *,
        activation_seconds: float,
        retire_after_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        key_bits: int = 2048,
    ) -> None:
        self._directory = directory
        self._activation = timedelta(seconds=activation_seconds)
        self._retire_after = timedelta(seconds=retire_after_seconds)
        self._clock = clock
        self._key_bits = key_bits
        self._loaded_version: int | None = None
        self._keys: list[KeyFile] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the first key when there is none (two instances starting at once: one wins)."""
        with self._locked():
            if not self._key_paths():
                # Nobody can have cached the JWKS yet: the first key signs at once.
                self._write_key(new_kid(self._clock()))
        self._reload()
        if not self._keys:
            raise RuntimeError(f"no usable signing key in {self._directory}")

    def rotate(self) -> str:
        """Add a key that starts signing after the activation delay; drop keys past retirement."""
        with self._locked():
            self._reload()
            kid = new_kid(self._clock() + self._activation)
            self._write_key(kid)
            for key in self._keys:
                if not self._published(key, self._keys):
                    (self._directory / f"{key.kid}{KEY_SUFFIX}").unlink(missing_ok=True)
        self._reload()
        return kid

    # -- reading -----------------------------------------------------------------------------

    def signing_key(self) -> SigningKey:
        keys = self._current()
        now = self._clock()
        active = [key for key in keys if key.activates_at <= now] or keys[:1]
        newest = active[-1]
        return SigningKey(kid=newest.kid, private_key=newest.private_key)

    def jwks(self) -> dict[str, Any]:
        keys = self._current()
        return {"keys": [_public_jwk(key) for key in keys if self._published(key, keys)]}

    async def key_for(self, kid: str) -> Any | None:
        keys = self._current()
        for key in keys:
            if key.kid == kid and self._published(key, keys):
                return key.private_key.public_key()
        return None

    # -- internals ---------------------------------------------------------------------------

    def _published(self, key: KeyFile, keys: list[KeyFile]) -> bool:
        now = self._clock()
        successors = [k for k in keys if key.activates_at < k.activates_at <= now]
        if not successors:
            return True  # active, or not yet active
        replaced_at = min(k.activates_at for k in successors)
        return now < replaced_at + self._retire_after

    def _current(self) -> list[KeyFile]:
        version = self._directory.stat().st_mtime_ns
        if version != self._loaded_version:
            self._reload()
        if not self._keys:
            raise RuntimeError(f"no signing key in {self._directory}; was ensure() called?")
        return self._keys

    def _reload(self) -> None:
        version = self._directory.stat().st_mtime_ns
        keys = []
        for path in self._key_paths():
            try:
                keys.append(self._read_key(path))
            except (ValueError, OSError) as error:
                logger.error("ignoring unreadable signing key %s: %s", path, error)
        self._keys = sorted(keys, key=lambda key: key.activates_at)
        self._loaded_version = version

    def _key_paths(self) -> list[Path]:
        return sorted(self._directory.glob(f"*{KEY_SUFFIX}"))

    def _read_key(self, path: Path) -> KeyFile:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            logger.warning("signing key %s is readable by others; chmod 600 it", path)
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA private key")
        kid = path.name.removesuffix(KEY_SUFFIX)
        return KeyFile(kid=kid, activates_at=activation_of(kid), private_key=private_key)

    def _write_key(self, kid: str) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=self._key_bits)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written under a temporary name and renamed: readers never see half a key.
        temporary = self._directory / f".{kid}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self._directory / f"{kid}{KEY_SUFFIX}")
        logger.info("new signing key %s in %s", kid, self._directory)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self._directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _public_jwk(key: KeyFile) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(key.private_key.public_key(), as_dict=True)
    # Exactly the RFC 7518 RSA public parameters, nothing PyJWT adds (key_ops).
    return {
        "kty": "RSA",
        "kid": key.kid,
        "use": "sig",
        "alg": ALGORITHM,
        "n": jwk["n"],
        "e": jwk["e"],
    }
