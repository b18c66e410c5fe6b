"""The issuer's public keys, from its JWKS document (over HTTP through the sidecar, on TCP or
its Unix socket, or from a file).

Keys are cached; an unknown `kid` triggers a refetch (a key was just rotated in), at most once
per `min_refetch_seconds` so a flood of forged key ids cannot turn into a flood of fetches."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from services.common.addresses import HttpTarget, http_url_target
from services.common.auth import TokenVerifier
from services.common.settings import ServiceSettings

logger = logging.getLogger(__name__)


def keys_from_jwks(document: dict[str, Any]) -> dict[str, Any]:
    """kid -> public key for every usable RS256 signing key in a JWKS document."""
    keys: dict[str, Any] = {}
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK.from_dict(entry, algorithm="RS256").key
        except jwt.PyJWTError:
            logger.warning("ignoring an unusable key %r in the JWKS", entry.get("kid"))
    return keys


class RemoteJwks:
    """A PublicKeySource reading a JWKS URL: `http(s)://…`, `file://…`, or
    `http+unix://<percent-encoded socket path>/…` (HTTP over that Unix socket)."""

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float = 300.0,
        min_refetch_seconds: float = 1.0,
        timeout_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._cache_seconds = cache_seconds
        self._min_refetch_seconds = min_refetch_seconds
        self._timeout = timeout_seconds
        self._monotonic = monotonic
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        # One client for the process, built here at start-up, not one per fetch: building an
        # httpx client loads the CA bundle, ~50 ms of CPU that blocked the event loop (every
        # request in flight, on each refetch); its pool also keeps the connection to the sidecar.
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._http: HttpTarget | None = None
        if urlsplit(url).scheme != "file":
            self._http = http_url_target(url)
            self._client = self._new_client()

    async def key_for(self, kid: str) -> Any | None:
        if self._stale() or kid not in self._keys:
            await self._refresh()
        return self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or (
            self._monotonic() - self._fetched_at >= self._cache_seconds
        )

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or (
            self._monotonic() - self._fetched_at >= self._min_refetch_seconds
        )

    async def _refresh(self) -> None:
        async with self._lock:
            if not self._may_refetch():
                return
            try:
                document = await self._fetch()
            except (OSError, httpx.HTTPError, ValueError) as error:
                # Keep the last known keys: the issuer being briefly away must not log anyone out.
                logger.warning("JWKS fetch from %s failed: %s", self._url, error)
                self._fetched_at = self._monotonic()
                return
            self._keys = keys_from_jwks(document)
            self._fetched_at = self._monotonic()

    async def _fetch(self) -> dict[str, Any]:
        if self._http is None:  # a file:// URL
            text = await asyncio.to_thread(Path(urlsplit(self._url).path).read_text)
            return _as_document(json.loads(text))
        response = await self._http_client().get(
            self._http.url, headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        return _as_document(response.json())

    def _http_client(self) -> httpx.AsyncClient:
        # A pool belongs to the loop it was first used in (tests may run one verifier in
        # several loops): another loop gets a client of its own.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop not in (None, loop):
            self._client = self._new_client()
        self._client_loop = loop
        return self._client

    def _new_client(self) -> httpx.AsyncClient:
        # Over the sidecar's Unix socket when the URL is http+unix://.
        transport = self._http.transport() if self._http else None
        return httpx.AsyncClient(timeout=self._timeout, transport=transport)


def _as_document(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("a JWKS document is a JSON object")
    return value


def jwks_token_verifier(settings: ServiceSettings) -> TokenVerifier:
    """How a service other than the issuer verifies tokens: against the published keys."""
    return TokenVerifier(
        keys=RemoteJwks(settings.jwks_url, cache_seconds=settings.jwks_cache_seconds),
        issuer=settings.jwt_issuer,
    )
