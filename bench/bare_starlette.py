"""Bench only: nft's `GET /api/nfts/user/{userId}` as a bare Starlette app, to see what
Connexion costs (routing from the contract, parameter validation, its middleware stack); and at
ONE_SQL_PATH the floor of that read: one SQL statement, its rows straight to the contract's JSON
(no QuerySet, no model instances; the same mapper for the metadata), what the read can cost at
best with uvicorn, Starlette and the ORM's connection (bench.cpu_per_request).

At PATH, the read as nft served it before its read model: the repository's
`TortoiseNftRepository.list_by_owner` (QuerySet, a model per row) and `nft_to_contract`; at
ONE_SQL_PATH, the service's own read model (`SqlNftViews.owned_by`: one SQL statement, rows
straight to the contract's JSON). Both serialised as the services' apps do (orjson plus a
newline, services/common/connexion_hot_path.py), same database (NftSettings from the same NFT_*
environment), served by uvicorn with the settings of services/common/serve.py. No migrations:
the service's own app, started first, has applied them. `python -m bench.bare_starlette`
serves on NFT_HOST:NFT_PORT; `running_bare_starlette(...)` starts that as a process on a free
port and stops it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from uuid import UUID, uuid4

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.common import get, wait_for
from mesh.ports import free_port
from mesh.processes import end_process
from services.common.database import close_database, open_database, service_database
from services.common.serve import uvicorn_config
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.adapters.views import SqlNftViews
from services.nft.config import NftSettings
from services.nft.mappers import nft_to_contract

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/nfts/user/{userId}"
ONE_SQL_PATH = "/floor/nfts/user/{userId}"
# The contract's Limit and Offset parameters: defaults and bounds.
LIMIT_DEFAULT, LIMIT_MAX = 50, 100
OFFSET_MAX = 100_000
START_TIMEOUT_SECONDS = 30.0  # imports and the ORM on a busy 2-core machine

_repository = TortoiseNftRepository()
_views = SqlNftViews()


def _page(request: Request) -> tuple[UUID, int, int] | None:
    """The owner, limit and offset, or None when they break the contract (a 400)."""
    try:
        owner = UUID(request.path_params["userId"])
        limit = int(request.query_params.get("limit", LIMIT_DEFAULT))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        return None
    if not (1 <= limit <= LIMIT_MAX and 0 <= offset <= OFFSET_MAX):
        return None
    return owner, limit, offset


async def list_user_nfts(request: Request) -> Response:
    page = _page(request)
    if page is None:
        return Response(status_code=400)
    owner, limit, offset = page
    nfts = await _repository.list_by_owner(owner, limit=limit, offset=offset)
    body = orjson.dumps([nft_to_contract(nft) for nft in nfts]) + b"\n"
    return Response(body, media_type="application/json")


async def list_user_nfts_one_sql(request: Request) -> Response:
    page = _page(request)
    if page is None:
        return Response(status_code=400)
    owner, limit, offset = page
    nfts = await _views.owned_by(owner, limit=limit, offset=offset)
    return Response(orjson.dumps(nfts) + b"\n", media_type="application/json")


def build_app(settings: NftSettings) -> Starlette:
    spec = service_database("nft", settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_database(spec)
        try:
            yield
        finally:
            await close_database()

    routes = [
        Route(PATH, list_user_nfts, methods=["GET"]),
        Route(ONE_SQL_PATH, list_user_nfts_one_sql, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def serve(settings: NftSettings) -> None:
    """As services/common/serve.py serves a service's app (its uvicorn_config: the same HTTP
    implementation and event loop), without the mesh's registration."""
    uvicorn.Server(uvicorn_config(build_app(settings), settings)).run()


@dataclass(frozen=True)
class BareStarlette:
    url: str  # its base URL
    pid: int  # whose CPU a request costs


@contextlib.contextmanager
def running_bare_starlette(nft_env: Mapping[str, str]) -> Iterator[BareStarlette]:
    """This module served in its own process on a free port, with `nft_env` (NFT_DATA_DIR or
    NFT_DATABASE_URL: the nft app's database); yielded once it answers, stopped on the way
    out."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **nft_env, "NFT_HOST": "127.0.0.1", "NFT_PORT": str(port)}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_starlette"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_answers(url, process, log)
            yield BareStarlette(url, process.pid)
        finally:
            end_process(process, 15)


def _wait_answers(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Until an owner with no NFTs gets its 200 (the ORM is open); its log when it cannot."""
    probe = f"{url}{PATH.format(userId=uuid4())}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}")
        return get(probe)[0] == 200

    try:
        wait_for(answers, f"200 from {probe}", START_TIMEOUT_SECONDS)
    except (RuntimeError, TimeoutError) as error:
        log.seek(0)
        tail = log.read()[-2000:].decode(errors="replace")
        raise RuntimeError(f"bare Starlette app: {error}; its log: {tail}") from error


if __name__ == "__main__":
    serve(NftSettings())
