"""Connexion 3.3's per-operation work done once, at start-up, instead of on every request.

Connexion 3.3.0 redoes fixed work per request (upstream: spec-first/connexion#2045):
- `AsyncOperation.fn` builds a new `StarletteDecorator` per request, and its wrapper decorates
  the handler again each time (`inspect.signature` of the handler, `functools.wraps` three
  times) and builds a URI parser;
- `RequestValidationOperation` builds a URI parser and a parameter validator per request, and
  a body validator whose jsonschema validator is built again on every use; it looks the body
  schema up (`MediaTypeDict`, `$ref` resolution) each time;
- `ResponseValidationOperation` builds a jsonschema validator for every response it checks;
- `Jsonifier` serialises answers with the standard library's `json`.
(And `rest_fixes.RuntimeBearerHandler` answers Connexion's per-request question about the
token verifier's signature once.)

Here each of those is built once per operation when the API is added (`add_api`), and
answers are serialised with orjson. What is checked, and every refusal's wording, stays
Connexion's and `request_validators`': the same validator classes run, only built earlier.
One fix rides along: a JSON body whose media type is spelt in other letters
(`Application/JSON`) is checked and parsed as the contract's type; Connexion accepted it,
skipped its checks and handed the handler bytes.

How it plugs in (`connexion_app`): an `AsyncApp` whose operations are `PrebuiltAsyncOperation`
(set on the app's inner ASGI app, as its `api_cls`), the middleware list with the two
validation middlewares replaced by theirs here, the Swagger UI's by one routing only requests
under its own paths (`PrefixedSwaggerUIMiddleware`), and `OrjsonJsonifier`. It relies on
Connexion 3.3.0's internals named in `RELIED_ON` (pinned in pyproject.toml);
tests/unit/test_connexion_hot_path.py fails, naming what changed, when an upgrade moves them.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import decimal
import functools
import logging
import typing as t
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from connexion import AsyncApp, utils
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import _context
from connexion.datastructures import MediaTypeDict
from connexion.decorators import StarletteDecorator
from connexion.decorators.main import ASGIDecorator, BaseDecorator
from connexion.decorators.parameter import (
    CONTEXT_NAME,
    AsyncParameterDecorator,
    BaseParameterDecorator,
    _get_body_argument,
    _get_file_arguments,
    _get_query_defaults,
    _get_val_from_param,
    _query_args_helper,
    get_arguments,
    prep_kwargs,
    unwrap_decorators,
)
from connexion.http_facts import FORM_CONTENT_TYPES
from connexion.json_schema import Draft4ResponseValidator
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.context import ContextOperation
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.middleware.response_validation import (
    ResponseValidationAPI,
    ResponseValidationMiddleware,
    ResponseValidationOperation,
)
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.operations import AbstractOperation, Swagger2Operation
from connexion.security import AbstractSecurityHandler
from connexion.utils import deep_merge, inspect_function_arguments
from connexion.validators import (
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    ParameterValidator,
)
from connexion.validators.abstract import AbstractRequestBodyValidator
from jsonschema import Draft4Validator
from starlette.types import Receive, Scope, Send

from services.common.request_validators import PARSED_BODY

PINNED_CONNEXION = "3.3.0"
logger = logging.getLogger("connexion.middleware.validation")  # Connexion's, as it logs

# The Connexion code this module subclasses or mirrors; tests/unit/test_connexion_hot_path.py
# pins each one's source, so an upgrade that changes one fails there, naming it.
RELIED_ON: tuple[Any, ...] = (
    AsyncOperation,  # `fn` rebuilds the decorated handler per request; __call__ awaits it
    AsyncApi,  # make_operation: which operation class serves a route
    AsyncASGIApp,  # api_cls: set per app to PrebuiltAsyncApi
    BaseDecorator,  # decorate(): the parameter and response decorators, built here once
    ASGIDecorator,  # __call__: what it builds per request (the URI parser, the request)
    RequestValidationOperation,  # __call__ mirrored by PrebuiltRequestValidation
    RequestValidationAPI,  # make_operation
    ResponseValidationOperation,  # __call__ mirrored by PrebuiltResponseValidation
    ResponseValidationAPI,  # make_operation and validate_responses
    JSONRequestBodyValidator,  # `_validator`: the compiled one is handed in (request_validators)
    # wrap_receive: `_parse` gets the scope the handler's request is built on (PARSED_BODY)
    AbstractRequestBodyValidator,
    JSONResponseBodyValidator,  # `validator`: the compiled one is handed in
    ParameterValidator,  # validate_parameter called per parameter (request_validators)
    AbstractSecurityHandler,  # _accepts_kwarg answered once (rest_fixes.RuntimeBearerHandler)
    Jsonifier,  # dumps(): what OrjsonJsonifier answers in its place
    SwaggerUIMiddleware,  # add_api mounts each API's router; __call__ routes every request
    ConnexionMiddleware,  # add_middleware places by a partial's `.func`; the stack calls each
    AsyncParameterDecorator,  # its wrapper, mirrored by PrebuiltParameterDecorator
    BaseParameterDecorator,  # _maybe_get_body, mirrored there
    ContextOperation,  # sets the `_context` read there (connexion.context.context's variable)
    prep_kwargs,  # mirrored by PrebuiltParameterDecorator
    get_arguments,  # mirrored by PrebuiltParameterDecorator
)


class PrebuiltAsyncOperation(AsyncOperation):
    """Connexion's `AsyncOperation` with its decorated handler and URI parser built once."""

    def __init__(
        self,
        operation: AbstractOperation,
        *,
        jsonifier: Jsonifier,
        pythonic_params: bool,
    ) -> None:
        super().__init__(
            operation.function,
            jsonifier=jsonifier,
            operation_id=operation.operation_id,
            pythonic_params=pythonic_params,
        )
        # What StarletteDecorator.__call__'s wrapper builds on every request, built here.
        self._decorated = _decorated(operation, pythonic_params, jsonifier)
        self._uri_parser = operation.uri_parser_class(
            operation.parameters, operation.body_definition()
        )

    @property
    def fn(self) -> Callable[..., Any]:
        return self._decorated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = ConnexionRequest(scope, receive, uri_parser=self._uri_parser)
        response = await self._decorated(request)
        await response(scope, receive, send)


def _decorated(
    operation: AbstractOperation, pythonic_params: bool, jsonifier: Jsonifier
) -> Callable[..., Any]:
    """BaseDecorator.decorate for StarletteDecorator, less per-request costs: an async handler
    is not wrapped to ask, each time, whether it is async; its arguments are extracted by
    `PrebuiltParameterDecorator`."""
    function = operation.function
    decorator = StarletteDecorator(pythonic_params=pythonic_params, jsonifier=jsonifier)
    if not asyncio.iscoroutinefunction(function):  # as the wrapper asks
        function = decorator._sync_async_decorator(function)
    parameters = PrebuiltParameterDecorator(
        operation, framework=decorator.framework, pythonic_params=pythonic_params
    )
    function = parameters(function)
    return decorator._response_decorator_cls(framework=decorator.framework, jsonifier=jsonifier)(
        function
    )


_IMMUTABLE = (str, int, float, bool, type(None))
_UNPARSED = object()


class PrebuiltParameterDecorator(AsyncParameterDecorator):
    """Connexion's AsyncParameterDecorator (its `wrapper`, `prep_kwargs`, `get_arguments`) for
    one operation known when it is built, instead of read per request from a context proxy:
    the path and query definitions and the query defaults are found once, parameter names
    sanitised once per name (a bounded cache: strict validation refuses unknown ones first),
    a request's form parsed for files only when it is a form (Starlette's form of any other
    media type is empty). Each argument is built by Connexion's own helpers, as before."""

    def __init__(self, operation: AbstractOperation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sanitize_fn = functools.lru_cache(maxsize=256)(self.sanitize_fn)
        self._operation = operation
        parameters = operation.parameters
        self._path_definitions = {p["name"]: p for p in parameters if p["in"] == "path"}
        self._query_definitions = {p["name"]: p for p in parameters if p["in"] == "query"}
        self._query_defaults = _get_query_defaults(self._query_definitions)
        # deep_merge writes into nested defaults: those are copied per request, as Connexion does.
        self._copy_defaults = not all(
            isinstance(value, _IMMUTABLE) for value in self._query_defaults.values()
        )
        self._is_trace = operation.method.upper() == "TRACE"
        self._is_swagger2 = isinstance(operation, Swagger2Operation)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        operation, sanitize = self._operation, self.sanitize_fn

        @functools.wraps(function)
        async def wrapper(request: ConnexionRequest) -> Any:
            mimetype = request.mimetype
            # BaseParameterDecorator._maybe_get_body
            body = None
            body_name = sanitize(operation.body_name(request.content_type))
            if (body_name in arguments or has_kwargs) or (
                mimetype in FORM_CONTENT_TYPES and self._is_swagger2
            ):
                # Parsed once, by the body's validator; else as Connexion reads it.
                body = request.scope.get(PARSED_BODY, _UNPARSED)
                if body is _UNPARSED:
                    body = request.get_body()
            while asyncio.iscoroutine(body):
                body = await body
            files = await request.files() if mimetype in FORM_CONTENT_TYPES else {}
            kwargs = self._arguments(request, body, files, arguments, has_kwargs, mimetype=mimetype)
            # prep_kwargs, after get_arguments
            kwargs = {sanitize(key): value for key, value in kwargs.items()}
            context = _context.get()
            for key, value in context.items():
                if has_kwargs or key in arguments:
                    kwargs[key] = value
            if CONTEXT_NAME in arguments:
                kwargs[CONTEXT_NAME] = context
            return await function(**kwargs)

        return wrapper

    def _arguments(
        self,
        request: ConnexionRequest,
        body: Any,
        files: Any,
        arguments: list[str],
        has_kwargs: bool,
        *,
        mimetype: str,
    ) -> dict[str, Any]:
        """get_arguments, its definitions and defaults found once."""
        sanitize = self.sanitize_fn
        found: dict[str, Any] = {}
        for name, value in request.path_params.items():  # _get_path_arguments
            definition = self._path_definitions.get(name)
            found[sanitize(name)] = (
                value if definition is None else _get_val_from_param(value, definition)
            )
        defaults = self._query_defaults
        query = deep_merge(
            copy.deepcopy(defaults) if self._copy_defaults else dict(defaults),
            request.query_params,
        )
        found.update(
            _query_args_helper(self._query_definitions, query, arguments, has_kwargs, sanitize)
        )
        if self._is_trace:
            return found  # a TRACE request has no body (RFC 7231 4.3.8)
        operation = self._operation
        found.update(
            _get_body_argument(
                body,
                operation=operation,
                arguments=arguments,
                has_kwargs=has_kwargs,
                sanitize=sanitize,
                content_type=mimetype,
            )
        )
        body_schema = operation.body_schema(mimetype)
        found.update(_get_file_arguments(files, arguments, body_schema, has_kwargs))
        return found


class PrebuiltAsyncApi(AsyncApi):
    def make_operation(self, operation: AbstractOperation) -> AsyncOperation:
        return PrebuiltAsyncOperation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class PrebuiltRequestValidation(RequestValidationOperation):
    """Connexion's request validation, its validators built once per operation.

    The body validator keeps the request's charset, so it is still built per request, but
    handed the schema validator compiled here (`compiled=`) for each media type the operation
    consumes; a media type matched only through a range or case takes Connexion's own path."""

    def __init__(self, next_app: Any, *, operation: AbstractOperation, **kwargs: Any) -> None:
        super().__init__(next_app, operation=operation, **kwargs)
        self._parameter_validator = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=self._new_uri_parser(),
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        self._consumes = MediaTypeDict([(c.lower(), None) for c in operation.consumes])
        # The JSON body validator's compiled schema validator, by the exact consumed media type.
        # (schema, nullable, compiled, validator class): the class found here once, not by
        # MediaTypeDict's pattern matching (fnmatch over the map) per request.
        self._bodies: dict[str, tuple[dict[str, Any], bool, Any, Any]] = {}
        for mime_type in operation.consumes:
            schema = operation.body_schema(mime_type)
            validator_cls = self._body_validator_cls(mime_type)
            if schema and validator_cls is not None:
                nullable = utils.is_nullable(operation.body_definition(mime_type))
                compiled = getattr(validator_cls, "compile_schema", None)
                self._bodies[mime_type] = (
                    schema,
                    nullable,
                    compiled and compiled(schema),
                    validator_cls,
                )
        self._by_lower_case = {mime_type.lower(): mime_type for mime_type in self._bodies}

    def _new_uri_parser(self) -> Any:
        return self._operation.uri_parser_class(
            self._operation.parameters, self._operation.body_definition()
        )

    def _body_validator_cls(self, mime_type: str) -> Any:
        try:
            return self._validator_map["body"][mime_type]
        except KeyError:
            return None

    def validate_mime_type(self, mime_type: str) -> None:
        if self._operation.consumes and mime_type.lower() not in self._consumes:
            super().validate_mime_type(mime_type)  # raises Connexion's 415

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # As RequestValidationOperation.__call__, with what it builds taken from __init__.
        self._parameter_validator.validate(scope)
        if not self._operation.consumes:
            # No request body in the contract: Connexion would read the Content-Type to accept
            # any media type and find no schema to check.
            await self.next_app(scope, receive, send)
            return
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        known = self._bodies.get(mime_type)
        if known is None and mime_type.lower() in self._by_lower_case:
            # Media types are case-insensitive (RFC 9110 8.3.1): Connexion accepts
            # "Application/JSON", then finds no schema for it, skips the body's validation and
            # hands the handler bytes (a 500). Checked, and parsed, as the contract's own type.
            exact = self._by_lower_case[mime_type.lower()]
            scope = _with_media_type(scope, mime_type, exact)
            mime_type, known = exact, self._bodies[exact]
        if known is not None:
            schema, nullable, compiled, validator_cls = known
            validator = validator_cls(
                schema=schema,
                required=self._operation.request_body.get("required", False),
                nullable=nullable,
                encoding=encoding,
                strict_validation=self.strict_validation,
                uri_parser=self._parameter_validator.uri_parser,
                **({"compiled": compiled} if compiled is not None else {}),
            )
            receive, scope = await validator.wrap_receive(receive, scope=scope)
            await self.next_app(scope, receive, send)
        elif self._operation.consumes and self._operation.body_schema(mime_type):
            await super().__call__(scope, receive, send)  # a media range or case: as Connexion
        else:
            await self.next_app(scope, receive, send)


def _with_media_type(scope: Scope, sent: str, exact: str) -> Scope:
    """`scope` with its (first) Content-Type's media type `sent` spelt `exact`."""
    headers = list(scope["headers"])
    for n, (key, value) in enumerate(headers):
        if key.lower() == b"content-type":
            headers[n] = (key, exact.encode("latin-1") + value[len(sent) :])
            break
    return {**scope, "headers": headers}


class PrebuiltRequestValidationAPI(RequestValidationAPI):
    def make_operation(self, operation: AbstractOperation) -> RequestValidationOperation:
        return PrebuiltRequestValidation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class PrebuiltRequestValidationMiddleware(RequestValidationMiddleware):
    api_cls = PrebuiltRequestValidationAPI


class CompiledJSONResponseBodyValidator(JSONResponseBodyValidator):
    """Connexion's JSON response validator, given its schema validator compiled (`compiled`)."""

    def __init__(self, scope: Scope, *, compiled: Any, **kwargs: Any) -> None:
        super().__init__(scope, **kwargs)
        self._compiled = compiled

    @property
    def validator(self) -> Any:
        return self._compiled

    @staticmethod
    def compile_schema(schema: dict[str, Any]) -> Any:
        return Draft4ResponseValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


class PrebuiltResponseValidation(ResponseValidationOperation):
    """Connexion's response validation, each response schema's validator compiled once.

    Connexion hands out the same schema object (part of the loaded contract) for a response
    each time, so validators are kept by that object's identity, checked with `is`: at most
    one per schema the operation declares. An empty schema (what an undeclared media type
    gets, a new `{}` each time) is not kept."""

    def __init__(self, next_app: Any, **kwargs: Any) -> None:
        super().__init__(next_app, **kwargs)
        self._compiled: dict[int, tuple[dict[str, Any], Any]] = {}

    def _compiled_for(self, schema: dict[str, Any]) -> Any:
        known = self._compiled.get(id(schema))
        if known is not None and known[0] is schema:
            return known[1]
        compiled = CompiledJSONResponseBodyValidator.compile_schema(schema)
        if schema:
            self._compiled[id(schema)] = (schema, compiled)
        return compiled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # As ResponseValidationOperation.__call__, Connexion's JSON body validator swapped for
        # the same validator with its schema compiled once.
        async def wrapped_send(message: t.MutableMapping[str, Any]) -> None:
            nonlocal send
            if message["type"] == "http.response.start":
                headers = message["headers"]
                mime_type, encoding = self.extract_content_type(headers)
                if message["status"] < 400:
                    self.validate_mime_type(mime_type)
                status = str(message["status"])
                definition = self._operation.response_definition(status, mime_type)
                self.validate_required_headers(headers, definition)
                try:
                    body_validator = self._validator_map["response"][mime_type]
                except KeyError:
                    logger.info(
                        "Skipping validation. No validator registered for content type: %s.",
                        mime_type,
                    )
                else:
                    schema = self._operation.response_schema(status, mime_type)
                    options = {
                        "schema": schema,
                        "nullable": utils.is_nullable(definition),
                        "encoding": encoding,
                    }
                    if body_validator is JSONResponseBodyValidator:
                        validator = CompiledJSONResponseBodyValidator(
                            scope, compiled=self._compiled_for(schema), **options
                        )
                    else:
                        validator = body_validator(scope, **options)
                    send = validator.wrap_send(send)
            await send(message)

        await self.next_app(scope, receive, wrapped_send)


class PrebuiltResponseValidationAPI(ResponseValidationAPI):
    def make_operation(self, operation: AbstractOperation) -> Any:
        if not self.validate_responses:
            return self.next_app  # as Connexion: no validation, not even a pass-through
        return PrebuiltResponseValidation(
            self.next_app, operation=operation, validator_map=self.validator_map
        )


class PrebuiltResponseValidationMiddleware(ResponseValidationMiddleware):
    api_cls = PrebuiltResponseValidationAPI


class PrefixedSwaggerUIMiddleware(SwaggerUIMiddleware):
    """Connexion's Swagger UI middleware, routing only the requests under a path it serves.

    Connexion's routes every request through its own router first (the UI, the spec) and
    hands what matches nothing on: a second routing of every API call. Here a request whose
    path starts with none of the UI's routes' literal prefixes is handed on at once (as
    Connexion hands it: a copy of the scope); anything else, or any request under a root
    path, takes Connexion's router as before."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._prefixes: tuple[str, ...] = ()

    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        mount = self.router.routes[-1]  # the API's router, just mounted at its base path
        self._prefixes += tuple(
            mount.path + route.path.split("{", 1)[0].rstrip("/") for route in mount.routes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not scope.get("root_path")
            and not scope["path"].startswith(self._prefixes)
        ):
            await self.app(scope.copy(), receive, send)
            return
        await super().__call__(scope, receive, send)


class _AsSwaggerUIMiddleware(functools.partial):  # type: ignore[type-arg]
    """Stands in the middleware list where SwaggerUIMiddleware stood, and builds the prefixed
    one: `add_middleware(position=MiddlewarePosition.BEFORE_SWAGGER)` finds its place by the
    class a partial wraps (`.func`), compared with `==`, so a subclass would not be found."""

    def __call__(self, app: Any) -> PrefixedSwaggerUIMiddleware:  # type: ignore[override]
        return PrefixedSwaggerUIMiddleware(app)


def _connexion_default(value: Any) -> Any:
    """What Connexion's JSONEncoder adds to json's types (connexion.jsonifier.wrap_default)."""
    if isinstance(value, datetime.datetime):
        # Aware: '2015-09-25T23:14:42.588601+00:00'; naive is taken as UTC: '...Z'.
        return value.isoformat("T") if value.tzinfo else value.isoformat("T") + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Datetimes and dataclasses go to `_connexion_default`, as they went to Connexion's encoder.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonJsonifier(Jsonifier):
    """Connexion's Jsonifier, serialising with orjson: the same values, compact and UTF-8.

    What orjson refuses and the standard library takes (integers beyond 64 bits, keys that are
    not strings) is serialised by Connexion's own `json.dumps`, so nothing that answered
    before fails now. Differences that stay: no spaces after separators, non-ASCII characters
    as UTF-8 instead of escapes, NaN and infinities as `null` (json wrote invalid JSON)."""

    def dumps(self, data: Any, **kwargs: Any) -> str:
        if kwargs:
            return t.cast(str, super().dumps(data, **kwargs))
        try:
            encoded = orjson.dumps(data, default=_connexion_default, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return t.cast(str, super().dumps(data))
        return encoded.decode() + "\n"


def connexion_app(import_name: str, **options: Any) -> AsyncApp:
    """An `AsyncApp` (same options) whose operations are built once at `add_api`."""
    if "middlewares" in options or "jsonifier" in options:
        raise TypeError("connexion_app chooses the middlewares and the jsonifier itself")
    middlewares = [_prebuilt(m) for m in ConnexionMiddleware.default_middlewares]
    app = AsyncApp(import_name, middlewares=middlewares, jsonifier=OrjsonJsonifier(), **options)
    app._middleware_app.api_cls = PrebuiltAsyncApi
    return app


@functools.cache
def _replacements() -> dict[type, type]:
    return {
        RequestValidationMiddleware: PrebuiltRequestValidationMiddleware,
        ResponseValidationMiddleware: PrebuiltResponseValidationMiddleware,
        SwaggerUIMiddleware: _AsSwaggerUIMiddleware(SwaggerUIMiddleware),
    }


def _prebuilt(middleware: Any) -> Any:
    return _replacements().get(middleware, middleware)
