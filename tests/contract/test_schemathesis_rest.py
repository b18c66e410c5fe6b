"""schemathesis on every operation of the second share of the REST APIs (in its own file, so
the other pytest-xdist worker takes it; tests/support/fuzzing.py says how)."""

from __future__ import annotations

import pytest

from tests.support.fuzzing import SHARES, fuzz

pytestmark = pytest.mark.contract


@pytest.mark.parametrize("service", SHARES[1])
def test_every_operation_keeps_its_contract(service, platform, access_token, tmp_path):
    url, api_prefix = platform[service]
    fuzz(service, url, api_prefix, access_token, tmp_path)
