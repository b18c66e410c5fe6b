"""schemathesis on every operation of the first share of the REST APIs (tests/support/fuzzing.py
says how; test_schemathesis_rest.py fuzzes the others)."""

from __future__ import annotations

import pytest

from tests.support.fuzzing import APIS, SHARES, fuzz

pytestmark = pytest.mark.contract


def test_the_two_files_fuzz_every_api_once() -> None:
    shared = [api for share in SHARES for api in share]
    assert sorted(shared) == sorted(APIS)


@pytest.mark.parametrize("service", SHARES[0])
def test_every_operation_keeps_its_contract(service, platform, access_token, tmp_path):
    url, api_prefix = platform[service]
    fuzz(service, url, api_prefix, access_token, tmp_path)
