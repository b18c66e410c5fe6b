"""schemathesis on every operation of the second share of the REST APIs (in its own file, so
the other pytest-xdist worker takes it; tests/support/fuzzing.py says how)."""

from __future__ import annotations

import pytest

from tests.support.fuzzing import FUZZ_TIMEOUT_SECONDS, SHARES, fuzz

# One API's fuzzing takes up to ~2 minutes on 2 busy cores (user: 102 s in CI), and the last
# test of a file also stops the platform: the suite's 120 s would cut it. schemathesis itself
# is bounded by the same figure.
pytestmark = [pytest.mark.contract, pytest.mark.timeout(FUZZ_TIMEOUT_SECONDS)]


@pytest.mark.parametrize("service", SHARES[1])
def test_every_operation_keeps_its_contract(service, platform, access_token, tmp_path):
    url, _ = platform[service]
    fuzz(service, url, access_token, tmp_path)
