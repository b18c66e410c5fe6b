"""mesh.yaml as the loader reads it: a valid file gives the topology it always gave."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from mesh.located_yaml import YamlFileError
from mesh.topology import Topology, load_topology, load_topology_or_exit
from services.common.workload_identity import service_of, spiffe_id

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).with_name("fixtures")
# mesh/mesh.yaml as it was when the loader became typed, and the topology the hand-written
# loader before it read from that file (dataclasses.asdict, as JSON): the typed loader must give
# the same values, of the same types, in the same order (egress ports are allocated in order).
MESH_FIXTURE = FIXTURES / "mesh.yaml"
TOPOLOGY_SNAPSHOT = FIXTURES / "mesh_topology.json"


def as_json(topology: Topology) -> str:
    return json.dumps(dataclasses.asdict(topology), indent=2) + "\n"


def test_a_valid_file_loads_to_the_topology_it_always_gave() -> None:
    assert as_json(load_topology(MESH_FIXTURE)) == TOPOLOGY_SNAPSHOT.read_text()


# --- an invalid file: every problem named with its line and column ---------------------------


def variant(tmp_path: Path, edits: dict[int, tuple[str, str]], extra: str = "") -> Path:
    """The fixture with, on each numbered line (from 1), `old` replaced by `new`; `extra`
    appended."""
    lines = MESH_FIXTURE.read_text().splitlines(keepends=True)
    for number, (old, new) in edits.items():
        assert old in lines[number - 1], (number, old)
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path = tmp_path / "mesh.yaml"
    path.write_text("".join(lines) + extra)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(YamlFileError) as refused:
        load_topology(path)
    return str(refused.value).splitlines()


def test_a_protocol_typo_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = variant(tmp_path, {26: ("http", "htp")})
    assert problems(path) == [
        f"{path}:26:21: services.nft.depends_on.notification: "
        "Input should be 'http' or 'grpc' (got 'htp')"
    ]


def test_an_unknown_key_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = variant(tmp_path, {27: ("calls:", "callz:")})
    assert problems(path) == [
        f"{path}:27:5: services.nft.callz: unknown key; did you mean 'calls'?"
    ]


def test_an_unknown_key_far_from_any_known_one_lists_them(tmp_path: Path) -> None:
    path = variant(tmp_path, {}, extra="colour: blue\n")
    assert problems(path) == [
        f"{path}:51:1: colour: unknown key "
        "(expected one of: registry, edge, identity, defaults, services)"
    ]


def test_every_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        {
            9: ("8080", "'8080'"),
            37: ("least_request", "least-request"),
            18: ("2", "0"),
            24: ("/api/nfts", "/api/nfts/"),
        },
    )
    assert problems(path) == [
        f"{path}:9:9: edge.port: Input should be a valid integer (got '8080')",
        f"{path}:18:14: defaults.instances: Input should be greater than or equal to 1 (got 0)",
        f"{path}:24:17: services.nft.api_prefix: "
        "must be an absolute path of literal segments, no trailing / (got '/api/nfts/')",
        f"{path}:37:16: services.analytics.lb_policy: "
        "Input should be 'round_robin' or 'least_request' (got 'least-request')",
    ]


@pytest.mark.parametrize(
    ("line", "old", "new", "where", "message"),
    [
        (6, "8500", "70000", "registry.http_port", "less than or equal to 65535"),
        (16, "30", ".inf", "identity.jwks_cache_seconds", "finite number"),
        (16, "30", "0", "identity.jwks_cache_seconds", "greater than 0"),
        (13, "capsure-user", "''", "identity.issuer", "at least 1 character"),
        (15, "/api/users", "api/users", "identity.jwks_path", "plain absolute path"),
        (15, "jwks.json", "jwks.json?x=1", "identity.jwks_path", "plain absolute path"),
        (18, "2", "100", "defaults.instances", "less than or equal to 32"),
        (18, "2", "true", "defaults.instances", "valid integer"),
        (20, "10", "-1", "defaults.rest_timeout_seconds", "greater than 0"),
        (22, "nft", "NFT", "services.NFT", "lower-case letters"),
        (22, "nft", "n-ft", "services.n-ft", "lower-case letters, digits and _"),
        (22, "nft", "n" * 64, f"services.{'n' * 64}", "at most 63 characters"),
        (12, "user", "u" * 64, "identity.service", "at most 63 characters"),
        (23, "services.nft", "services/nft", "services.nft.module", "dotted Python module"),
        (
            40,
            "market.MarketDataService",
            "market/Data",
            "services.analytics.grpc_services[1]",
            "gRPC service name",
        ),
    ],
)
def test_a_value_out_of_shape_is_refused(
    tmp_path: Path, line: int, old: str, new: str, where: str, message: str
) -> None:
    path = variant(tmp_path, {line: (old, new)})
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line}:")
    assert f": {where}: " in problem
    assert message in problem


def test_a_service_name_as_long_as_a_spiffe_id_allows_loads_and_names_its_identity(
    tmp_path: Path,
) -> None:
    long = "n" * 63
    lines = MESH_FIXTURE.read_text().splitlines()
    renamed = {n: ("nft", long) for n, text in enumerate(lines, 1) if text.strip() == "nft:"}
    renamed |= {n: ("nft", long) for n, text in enumerate(lines, 1) if "nft: http" in text}
    topology = load_topology(variant(tmp_path, renamed))
    assert service_of(spiffe_id(topology.services[long].name)) == long


# --- cross-references, checked once every value has its shape --------------------------------


@pytest.mark.parametrize(
    ("edits", "extra", "at", "message"),
    [
        (
            {28: ("user", "notification")},
            "",
            "28:21: services.nft.calls.notification",
            "'notification' is in both depends_on and calls",
        ),
        (
            {28: ("user", "ghost")},
            "",
            "28:14: services.nft.calls.ghost",
            "unknown service 'ghost' (services: nft, user, analytics, trading, notification)",
        ),
        (
            {46: ("http", "grpc")},
            "",
            "46:21: services.trading.depends_on.notification",
            "notification serves no gRPC (it has no grpc_services): call it over http",
        ),
        (
            {33: ("nft", "user")},
            "",
            "33:13: services.user.depends_on.user",
            "a service does not call itself through the mesh",
        ),
        (
            {12: ("user", "nobody")},
            "",
            "12:12: identity.service",
            "unknown service 'nobody' (services: nft, user, analytics, trading, notification)",
        ),
        (
            {12: ("user", "analytics")},
            "",
            "45:18: services.trading.depends_on.analytics",
            "analytics is the identity service: call it over http",
        ),
        ({9: ("8080", "8500")}, "", "9:9: edge.port", "port 8500 is taken by registry.http_port"),
        (
            {31: ("/api/users", "/api/nfts/users")},
            "",
            "31:17: services.user.api_prefix",
            "overlaps nft's api_prefix /api/nfts",
        ),
        (
            {40: ("market.MarketDataService", "capsure.analytics.v1.MarketDataService")},
            "",
            "40:9: services.analytics.grpc_services[1]",
            "capsure.analytics.v1.MarketDataService is served by analytics already",
        ),
        (
            {},
            "    depends_on:\n      trading: http\n",
            "25:5: services.nft.depends_on",
            "depends_on forms a cycle: nft -> notification -> trading -> nft",
        ),
        (
            {18: ("instances: 2", "# no default")},
            "",
            "22:3: services.nft",
            "instances is set neither here nor in defaults",
        ),
    ],
)
def test_inconsistent_references_are_refused_where_they_are_made(
    tmp_path: Path, edits: dict[int, tuple[str, str]], extra: str, at: str, message: str
) -> None:
    path = variant(tmp_path, edits, extra)
    assert problems(path) == [f"{path}:{at}: {message}"]


def test_a_duplicate_key_is_an_error_not_the_last_one_winning(tmp_path: Path) -> None:
    path = variant(tmp_path, {29: ("user:", "notification:")})
    assert problems(path) == [
        f"{path}:48:3: services.notification: duplicate key (first at line 29)"
    ]


def test_an_alias_of_the_node_holding_it_is_an_error_not_a_recursion(tmp_path: Path) -> None:
    path = variant(tmp_path, {}, "loop: &loop\n  again: *loop\n")
    assert problems(path) == [
        f"{path}:51:1: loop: unknown key (expected one of: registry, edge, identity, defaults, "
        "services)"
    ]


def test_aliases_of_aliases_are_read_once_not_exponentially(tmp_path: Path) -> None:
    """A billion laughs: 9 ** 20 nodes if every alias is followed."""
    laughs = ["laughs:", "  - &l0 [lol, lol]"]
    laughs += [f"  - &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 21)]
    path = variant(tmp_path, {}, "\n".join(laughs) + "\n")
    started = time.monotonic()
    [problem] = problems(path)
    assert problem.startswith(f"{path}:51:1: laughs: unknown key")
    assert time.monotonic() - started < 5


def test_broken_yaml_names_its_line(tmp_path: Path) -> None:
    path = variant(tmp_path, {26: ("notification: http", "notification: [http")})
    [problem] = problems(path)
    assert problem.startswith(f"{path}:27:")


def test_an_empty_collection_key_means_none(tmp_path: Path) -> None:
    path = variant(tmp_path, {28: ("user: http", "# user: http")})
    assert load_topology(path).services["nft"].calls == {}


def test_protocols_and_policies_are_exactly_the_ones_envoy_gets(tmp_path: Path) -> None:
    # Anything but "http" used to be gRPC: `cluster_name` and the egress port would silently
    # say `notification_grpc`. Only the two literals load.
    for typo in ("HTTP", "https", "h2"):
        path = variant(tmp_path, {26: ("http", typo)})
        [problem] = problems(path)
        assert "Input should be 'http' or 'grpc'" in problem


def test_make_run_and_make_compose_stop_on_an_invalid_file_without_a_traceback(
    tmp_path: Path,
) -> None:
    path = variant(tmp_path, {26: ("http", "htp")})
    with pytest.raises(SystemExit) as stopped:
        load_topology_or_exit(path)
    assert str(stopped.value).splitlines() == [
        f"{path}:26:21: services.nft.depends_on.notification: "
        "Input should be 'http' or 'grpc' (got 'htp')",
        "(mesh.yaml is not a valid mesh description)",
    ]
