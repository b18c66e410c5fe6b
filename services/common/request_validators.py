"""Connexion's request validators, made safe for hostile input: bodies parsed as strict JSON
(`strict_json`), and every refusal worded by `validation_messages`, which quotes input only
through `quoted()`. Nothing here logs the input. A JSON body is first asked of a fast check
(`schema_fast_check`) that can only say "valid"; every refusal is still jsonschema's.

Relies on Connexion 3.3 internals (pinned in pyproject.toml): the `_parse`/`_validate` steps of
`JSONRequestBodyValidator`, and `ParameterValidator.validate`, `validate_request` and the static
`validate_parameter` that returns an error message or None."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError

from services.common import strict_json
from services.common.quoting import quoted
from services.common.schema_fast_check import Check, compile_fast_check
from services.common.validation_messages import describe, listed

# The scope key where the body parsed here waits for the handler's arguments
# (connexion_hot_path.PrebuiltParameterDecorator), which Connexion would parse again with
# json.loads: a 1,000-tick batch is parsed once, not twice.
PARSED_BODY = "capsure.parsed_json_body"


class StrictJsonBodyValidator(JSONRequestBodyValidator):
    """A JSON body that is not UTF-8, or is JSON that would break later (too deep, a huge
    integer, a lone surrogate), is the client's error: 400, never a 500.

    `compiled`: the schema's validator built once per operation (`connexion_hot_path`), from
    `compile_schema`; without it, Connexion builds one on every use."""

    def __init__(self, *, compiled: FastFirstValidator | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compiled = compiled

    @staticmethod
    def compile_schema(schema: dict[str, Any]) -> FastFirstValidator:
        return FastFirstValidator(schema)

    @property
    def _validator(self) -> FastFirstValidator:
        return self._compiled or self.compile_schema(self._schema)

    async def _parse(self, stream: Any, scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except UnicodeDecodeError as error:
            raise BadRequestProblem(
                detail=f"request body is not valid {self._encoding}: {error.reason} "
                f"at byte {error.start}"
            ) from error
        except LookupError as error:  # Content-Type: application/json; charset=<unknown>
            raise BadRequestProblem(
                detail=f"request body charset {quoted(self._encoding)} is unknown; send UTF-8"
            ) from error
        if not text:
            return None
        try:
            body = strict_json.loads(text)
        except strict_json.UnacceptableJson as error:
            raise BadRequestProblem(detail=str(error)) from error
        scope[PARSED_BODY] = body
        return body

    def _validate(self, body: Any) -> None:
        if not self._nullable and body is None:
            raise BadRequestProblem("Request body must not be empty")
        error = next(self._validator.iter_errors(body), None)
        if error is not None:
            raise BadRequestProblem(detail=describe(error, "body"))


class FastFirstValidator:
    """Connexion's Draft 4 request validator, asked only when a fast check
    (`schema_fast_check`) does not answer "valid": its errors, and so every refusal, are the
    same as before; a body the fast check accepts, jsonschema accepts too
    (tests/unit/test_schema_fast_check.py checks every contract's request bodies)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        format_checker = Draft4Validator.FORMAT_CHECKER
        self.jsonschema = Draft4RequestValidator(schema, format_checker=format_checker)
        self.fast: Check | None = compile_fast_check(schema, format_checker)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        fast = self.fast
        if fast is not None:
            try:
                if fast(instance):
                    return iter(())
            except Exception:  # jsonschema decides, as before
                pass
        return self.jsonschema.iter_errors(instance)


class QuotingParameterValidator(ParameterValidator):
    """Path, query and header parameters: Connexion's checks, with messages that quote.

    Each parameter's schema validator is built once, here (Connexion deep-copies the schema
    and builds one per parameter per request); `connexion_hot_path` builds this validator once
    per operation."""

    def __init__(self, parameters: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        super().__init__(parameters, *args, **kwargs)
        # By the parameter's identity: the same dicts come back in validate_parameter.
        self._schema_validators = {
            id(param): (param, _schema_validator(param)) for param in parameters
        }

    def validate(self, scope: Any) -> None:
        # Connexion's validate() also logs the whole path (at DEBUG).
        self.validate_request(ConnexionRequest(scope, uri_parser=self.uri_parser))

    def validate_request(self, request: Any) -> None:
        if self.strict_validation:
            unknown = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            if unknown:
                raise BadRequestProblem(detail=f"unknown query parameter(s) {listed(unknown)}")
        super().validate_request(request)

    def validate_parameter(  # type: ignore[override]  # an instance's: it has the validators
        self, parameter_type: str, value: Any, param: dict[str, Any], param_name: Any = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is None:
            if param.get("required"):
                return f"Missing {parameter_type} parameter {param['name']!r}"
            return None
        known = self._schema_validators.get(id(param))
        validator = known[1] if known is not None and known[0] is param else None
        error = next((validator or _schema_validator(param)).iter_errors(value), None)
        if error is None:
            return None
        return describe(error, f"{parameter_type} parameter {param['name']!r}")


def _schema_validator(param: dict[str, Any]) -> Draft4Validator:
    # Connexion deep-copies the schema first; nothing here changes it.
    schema = param.get("schema", param)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


VALIDATOR_MAP = {
    "parameter": QuotingParameterValidator,
    "body": MediaTypeDict(
        {
            "*/*json": StrictJsonBodyValidator,
            "application/x-www-form-urlencoded": FormDataValidator,
            "multipart/form-data": MultiPartFormDataValidator,
        }
    ),
}
