"""Does login timing reveal whether a username exists? POST /api/users/login through the edge
for an existing account with a wrong password, for an unknown username, and with the right
password, interleaved one by one so background load hits all three alike. The throttle is
raised for the run (it would otherwise answer 429 after five failures)."""

from __future__ import annotations

import http.client
import json
import sys
import time
import uuid
from urllib.parse import urlsplit

from bench.common import compare, ms, percentile, running_mesh, table

TITLE = "Login timing: known vs unknown usernames"
BASELINE = "existing user, wrong password"  # what the unknown user's answer must look like
COMMAND = "python -m bench.login_timing"
ROUNDS = 60
PASSWORD = "bench-password-1"
NO_THROTTLE = {
    "USER_LOGIN_FAILURES_PER_ACCOUNT_ADDRESS": "1000",
    "USER_LOGIN_FAILURES_PER_ADDRESS": "100000",
}


def measure() -> str:
    with running_mesh({"user": 1}, app_env=NO_THROTTLE) as mesh:
        parts = urlsplit(mesh.edge_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        status, _ = _post(
            connection,
            "/api/users",
            {"username": name, "email": f"{name}@b.example", "password": PASSWORD},
        )
        assert status == 201, status
        cases = {
            BASELINE: (
                {"username": name, "password": "wrong-password"},
                401,
            ),
            "unknown user": ({"username": f"ghost-{name}", "password": "wrong-password"}, 401),
            "existing user, right password": ({"username": name, "password": PASSWORD}, 200),
        }
        timings: dict[str, list[float]] = {label: [] for label in cases}
        for _ in range(3):  # warm-up: connection, sidecar, argon2 code paths
            for body, _expected in cases.values():
                _post(connection, "/api/users/login", body)
        for _ in range(ROUNDS):
            for label, (body, expected) in cases.items():
                started = time.perf_counter()
                status, _ = _post(connection, "/api/users/login", body)
                timings[label].append((time.perf_counter() - started) * 1000)
                assert status == expected, (label, status)
        connection.close()
    return report(timings)


def _post(connection: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, bytes]:
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, response.read()


def report(timings: dict[str, list[float]]) -> str:
    baseline = sorted(timings[BASELINE])
    rows = []
    for label, values in timings.items():
        ordered = sorted(values)
        p50 = percentile(ordered, 50)
        if label != BASELINE:
            for q in (50, 90):
                compare(
                    section=TITLE,
                    figure=f"login p{q}",
                    label=label,
                    value=percentile(ordered, q),
                    baseline_label=BASELINE,
                    baseline=percentile(baseline, q),
                    unit="ms",
                )
        rows.append(
            [label, len(ordered), ms(p50), ms(percentile(ordered, 90)),
             f"{p50 / percentile(baseline, 50):.2f}x"]
        )  # fmt: skip
    return table(["case", "requests", "p50 ms", "p90 ms", "p50 vs wrong password"], rows)


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
