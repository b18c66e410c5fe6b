"""What every contract promises about the answers the mesh can give any operation, whatever the
operation does: 400 (a service refuses a query parameter its operation does not declare, the
edge a header name with `_`), 503 and 504 (the edge's own, and a service's when a dependency
fails), as problem+json, 503 with the Retry-After the edge and the services send; 429 where
throttled."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from services.common.contracts import CONTRACTS, HTTP_METHODS, load_contract
from services.common.public_contract import is_internal, public_contract

pytestmark = pytest.mark.unit

CONTRACT_NAMES = sorted(path.stem for path in CONTRACTS.glob("*.yaml"))
THROTTLED = {("user", "login")}  # (contract, operationId) answering 429 with Retry-After


def operations(contract: dict) -> list[dict]:
    return [
        item[method]
        for item in contract["paths"].values()
        for method in HTTP_METHODS
        if method in item
    ]


def answer(contract: dict, operation: dict, status: str) -> dict | None:
    """The operation's response for `status`, its $ref followed."""
    response = operation["responses"].get(status)
    if response is None or "$ref" not in response:
        return response
    return contract["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]


def declares_retry_after(contract: dict, response: dict) -> bool:
    header = response.get("headers", {}).get("Retry-After")
    if header is None:
        return False
    if "$ref" in header:
        header = contract["components"]["headers"][header["$ref"].rsplit("/", 1)[-1]]
    return header["schema"]["type"] == "integer"


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_every_operation_declares_the_meshs_503_and_504(name):
    contract = load_contract(name)
    assert operations(contract)
    for operation in operations(contract):
        for status in ("503", "504"):
            response = answer(contract, operation, status)
            assert response is not None, f"{operation['operationId']} lacks {status}"
            assert "application/problem+json" in response["content"], operation["operationId"]
            assert declares_retry_after(contract, response), (operation["operationId"], status)


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_every_operation_declares_the_400_any_request_can_get(name):
    """Even an operation with no parameters: `GET /api/users/me?x=1` is a 400 (strict
    validation), and so is any request the edge refuses as malformed (found by schemathesis
    through the edge, tests/contract/test_schemathesis_edge.py)."""
    contract = load_contract(name)
    for operation in operations(contract):
        response = answer(contract, operation, "400")
        assert response is not None, f"{operation['operationId']} lacks 400"
        assert "application/problem+json" in response["content"], operation["operationId"]


@pytest.mark.parametrize(("name", "operation_id"), sorted(THROTTLED))
def test_throttled_operations_declare_429_with_retry_after(name, operation_id):
    contract = load_contract(name)
    (operation,) = [op for op in operations(contract) if op["operationId"] == operation_id]
    response = answer(contract, operation, "429")
    assert response is not None and declares_retry_after(contract, response)


def test_no_other_operation_declares_a_429_it_never_answers():
    declared = {
        (name, op["operationId"])
        for name in CONTRACT_NAMES
        for op in operations(load_contract(name))
        if "429" in op["responses"]
    }
    assert declared == THROTTLED


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_the_published_part_of_every_contract_is_a_whole_document(name):
    contract = load_contract(name)
    published = public_contract(contract)
    validate(published)  # every $ref it keeps resolves
    assert set(published["paths"]) == {path for path in contract["paths"] if not is_internal(path)}
