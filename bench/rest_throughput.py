"""Throughput of the DB-backed read (GET /api/nfts/user/{id}, 10 NFTs), closed loop at 1 and
16 connections: through the edge vs direct to the app, with nft on SQLite (its default) and on
PostgreSQL (a temporary database on 127.0.0.1:5432, dropped afterwards; skipped when nothing
answers there); and what Connexion costs: a bare Starlette app doing the same query through
nft's own read model against the same SQLite file (bench/bare_starlette.py's ONE_SQL_PATH),
direct vs the Connexion app direct. Apps on loopback ports for "direct" (`private_apps=False`:
the sidecar -> app hop is TCP, not the default's Unix socket). Each database gets its own mesh;
within one, the paths are interleaved over short rounds so that a change of background load
hits them all alike."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

from bench.bare_starlette import ONE_SQL_PATH, running_bare_starlette
from bench.common import (
    WRK_INSTALL,
    LoadResult,
    compare,
    get,
    http_load,
    interleaved_rounds,
    ms,
    running_mesh,
    seed_nfts,
    table,
    wait_routed,
)
from bench.postgres import POSTGRES, drop_databases, postgres_unavailable, temporary_database_name
from mesh.runner import Mesh

TITLE = "REST read throughput: edge, PostgreSQL, Connexion"
COMMAND = "python -m bench.rest_throughput"
LIMIT_SECONDS = 240  # two meshes one after the other: ~80 s quiet, over 90 s on a busy machine
NFTS = 10
# connections -> (rounds, seconds per round and path); a path's req/s is over all its rounds,
# p50 and p99 the median of the rounds'.
PLAN = {1: (2, 1), 16: (2, 1)}
CONNECTIONS = tuple(PLAN)
WARM_UP_SECONDS = 1

DIRECT = "direct (app)"
EDGE = "edge → sidecar → app"
BARE = "bare Starlette, direct"
SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"


@dataclass
class Section:
    """One database's figures: (path label, connections) -> merged result."""

    database: str
    results: dict[tuple[str, int], LoadResult]
    notes: list[str]


def measure() -> str:
    sqlite = measure_sqlite()
    postgres, skipped = None, ""
    if reason := postgres_unavailable():
        skipped = f"**PostgreSQL rows skipped**: nothing answers at {POSTGRES} ({reason}).\n\n"
    else:
        try:
            postgres = measure_postgres()
        except Exception as error:  # keep the SQLite figures; say why PostgreSQL has none
            skipped = f"**PostgreSQL rows failed**: `{error!r}`\n\n"
    return report(sqlite, postgres, skipped)


# --- the two meshes ----------------------------------------------------------------------


def measure_sqlite() -> Section:
    """nft on its default SQLite file; the bare Starlette app opens the same file."""
    with running_mesh({"nft": 1}, private_apps=False) as mesh:
        paths, owner_path = mesh_paths(mesh)
        # The mesh's apps get <workdir>/data as their data dir (mesh.processes.app_environment).
        nft_env = {"NFT_DATA_DIR": str(mesh.workdir / "data")}
        with running_bare_starlette(nft_env) as bare:
            paths[BARE] = bare.url + ONE_SQL_PATH.format(userId=owner_path.rsplit("/", 1)[1])
            same = get(paths[DIRECT])[1] == get(paths[BARE])[1]
            results = interleaved(paths)
    body = "the same bytes" if same else "**different bytes** (check bench/bare_starlette.py)"
    return Section(SQLITE, results, [f"Connexion and bare Starlette answered {body}."])


def measure_postgres() -> Section:
    """nft on a PostgreSQL database of its own, created by the app at start (as in production:
    services.common.database.ensure_postgres_database) and dropped here afterwards."""
    name = temporary_database_name()
    try:
        database = {"NFT_DATABASE_URL": f"{POSTGRES}/{name}"}
        with running_mesh({"nft": 1}, app_env=database, private_apps=False) as mesh:
            paths, _ = mesh_paths(mesh)
            results = interleaved(paths)
    finally:
        drop_databases([name])
    return Section(POSTGRESQL, results, [f"Temporary database `{name}`, dropped afterwards."])


def mesh_paths(mesh: Mesh) -> tuple[dict[str, str], str]:
    """Seed NFTS for a new owner; the read direct and through the edge, and its path."""
    nft = mesh.instances["nft"][0]
    owner = seed_nfts(nft.app.url, NFTS)
    path = f"/api/nfts/user/{owner}"
    edge_url = mesh.edge_url + path
    wait_routed(edge_url)
    return {DIRECT: nft.app.url + path, EDGE: edge_url}, path


def interleaved(paths: dict[str, str]) -> dict[tuple[str, int], LoadResult]:
    """A warm-up per path (pools, sidecar connections), then PLAN's rounds, paths in turn."""
    for url in paths.values():
        http_load(url, max(CONNECTIONS), WARM_UP_SECONDS)
    return interleaved_rounds(paths, PLAN)


# --- report ------------------------------------------------------------------------------


def report(sqlite: Section, postgres: Section | None, skipped: str) -> str:
    sections = [s for s in (sqlite, postgres) if s is not None]
    for section in sections:
        record_edge_vs_direct(section)
    record_connexion_vs_bare(sqlite)
    if postgres is not None:
        record_postgres_vs_sqlite(sqlite, postgres)
    rows = [row for section in sections for row in result_rows(section)]
    header = ["database", "path", "conns", "req/s", "p50 ms", "p99 ms", "errors"]
    tool = next(iter(sqlite.results.values())).tool
    warning = ""
    if tool != "wrk":
        warning = f"**No wrk ({WRK_INSTALL}): Python clients, whose own cost dominates.**\n\n"
    rounds_text = ", ".join(f"{r} x {s} s at {c} conn." for c, (r, s) in PLAN.items())
    notes = " ".join(n for section in sections for n in section.notes)
    text = (
        f"{warning}{skipped}{table(header, rows)}\n{tool}, keep-alive, after a "
        f"{WARM_UP_SECONDS} s warm-up per path; rounds per path, the paths interleaved: "
        f"{rounds_text}; req/s over all rounds, p50 and p99 the median of the rounds'. "
        f"GET /api/nfts/user/{{id}} returns {NFTS} NFTs. Each database has its own mesh, one "
        "after the other: SQLite and PostgreSQL figures are not interleaved. The bare Starlette "
        "app (bench/bare_starlette.py) runs the same repository query and JSON with uvicorn as "
        f"the services run it, without Connexion's routing, validation and middleware. Apps "
        "on loopback ports for direct (`private_apps=False`): the sidecar → app hop is TCP "
        f"here, not the default Unix socket. {notes}\n"
    )
    return text


def result_rows(section: Section) -> Iterator[list[object]]:
    for (label, connections), r in section.results.items():
        yield [
            section.database,
            label,
            connections,
            f"{r.rps:.0f}",
            ms(r.p50_ms),
            ms(r.p99_ms),
            r.errors,
        ]


def record_edge_vs_direct(section: Section) -> None:
    for connections in CONNECTIONS:
        direct, edge = (section.results[label, connections] for label in (DIRECT, EDGE))
        figure = f"req/s, {connections} conn., {section.database}"
        rps(figure, EDGE, edge, DIRECT, direct)


def record_connexion_vs_bare(sqlite: Section) -> None:
    """Starlette is the baseline: what the Connexion app keeps of its req/s, and its p50."""
    label = "Connexion app, direct"
    for connections in CONNECTIONS:
        connexion, bare = (sqlite.results[x, connections] for x in (DIRECT, BARE))
        rps(f"req/s, {connections} conn., {SQLITE}", label, connexion, BARE, bare)
    # At 1 connection p50 is one request's own time: the per-request cost of Connexion.
    connexion, bare = (sqlite.results[x, 1] for x in (DIRECT, BARE))
    compare(TITLE, "p50, 1 conn., SQLite", label, connexion.p50_ms, BARE, bare.p50_ms, "ms")


def record_postgres_vs_sqlite(sqlite: Section, postgres: Section) -> None:
    """SQLite is the baseline, direct and through the edge."""
    for path in (DIRECT, EDGE):
        for connections in CONNECTIONS:
            lite, pg = (s.results[path, connections] for s in (sqlite, postgres))
            rps(f"req/s, {connections} conn., {path}", POSTGRESQL, pg, SQLITE, lite)
        lite, pg = (s.results[path, 1] for s in (sqlite, postgres))
        compare(TITLE, f"p50, 1 conn., {path}", POSTGRESQL, pg.p50_ms, SQLITE, lite.p50_ms, "ms")


def rps(figure: str, label: str, r: LoadResult, baseline_label: str, baseline: LoadResult) -> None:
    compare(
        TITLE, figure, label, r.rps, baseline_label, baseline.rps, "req/s", higher_is_better=True
    )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
