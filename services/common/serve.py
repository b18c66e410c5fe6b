"""Run a service's ASGI app with uvicorn; the app's lifespan owns every other resource."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per outgoing call is noise at INFO; failures surface as domain errors.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def serve(app: Any, *, host: str, port: int, log_level: str) -> None:
    """Serve until SIGINT/SIGTERM; uvicorn then runs the lifespan's shutdown (graceful stop)."""
    configure_logging(log_level)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_level=log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    asyncio.run(uvicorn.Server(config).serve())
