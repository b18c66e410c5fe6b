"""The benchmark tools' own input handling: make profile's arguments are bounded, py-spy's
raw stacks become top frames, and the wrk scripts quote what they send (a header or body with
quotes cannot break out of its Lua string)."""

from __future__ import annotations

import json
import re

import pytest

from bench.cpu_per_request import Target, keyed_post_lua
from bench.profile import arguments, cycling_lua, package_of, top_frames

RAW = (
    "<module> (/r/services/nft/__main__.py:3);handler (/v/site-packages/connexion/x.py:9) 3\n"
    "<module> (/r/services/nft/__main__.py:3);handler (/v/site-packages/connexion/x.py:12) 1\n"
    "<module> (/r/services/nft/__main__.py:3) 4\n"
    "not a stack line\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["nft", "--seconds", "0"],
        ["nft", "--seconds", "100000"],
        ["nft", "--rate", "5000"],
        ["nft; rm -rf /"],
        ["registry"],
    ],
)
def test_profile_refuses_arguments_out_of_bounds(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        arguments(argv)
    assert refused.value.code == 2


def test_profile_takes_a_service_and_bounded_figures() -> None:
    args = arguments(["trading", "--seconds", "5", "--rate", "100", "--operation", "list_sales"])
    assert (args.service, args.seconds, args.rate, args.operation) == (
        "trading",
        5,
        100,
        "list_sales",
    )


def test_top_frames_sum_a_function_over_its_lines_and_skip_garbage() -> None:
    text = top_frames(RAW)
    assert text.startswith("8 samples")
    # handler: 3 + 1 samples of 8 (two lines of one function), own time.
    assert re.search(r"50\.0 %  handler \(connexion/x\.py\)", text)
    assert re.search(r"100\.0 %  <module> \(", text)  # total: on every stack


def test_top_frames_of_no_samples_say_so() -> None:
    assert top_frames("") == "no samples: was the process busy?\n"


def test_package_of_names_the_library_or_the_service() -> None:
    assert package_of("f (connexion/apps/asynchronous.py)") == "connexion"
    assert package_of("g (services/nft/mappers.py)") == "services/nft"
    assert package_of("h (uuid.py)") == "uuid"


def test_cycling_lua_escapes_quotes_and_backslashes() -> None:
    hostile = 'x"); os.execute("id") --\\'
    target = Target("http://127.0.0.1:1/api/a?q=1", 1, {"Authorization": hostile})
    lua = cycling_lua([target], "http://127.0.0.1:1")
    assert '"/api/a?q=1"' in lua
    assert '"x\\"); os.execute(\\"id\\") --\\\\"' in lua


def test_keyed_post_lua_quotes_the_body_and_headers_as_json_strings() -> None:
    body = {"name": 'a"b\\c'}
    lua = keyed_post_lua("/api/nfts", body, [{"Authorization": 'Bearer "t"'}, {"A": "2"}])
    assert f"local body = {json.dumps(json.dumps(body))}" in lua
    assert '{["Authorization"] = "Bearer \\"t\\"", ["Content-Type"] = "application/json"}' in lua
    assert '{["A"] = "2", ["Content-Type"] = "application/json"}' in lua
    assert 'headers["Idempotency-Key"] = prefix .. counter' in lua
