"""Client input as error messages and logs may quote it: a short, escaped prefix, never all.

An error that echoes its input hands an attacker an amplifier (a 10 MB field became a 10.5 MB
answer and 21 MB of logs) and, in a gRPC trailer, a CPU sink: grpclib HPACK-encodes the
`grpc-message` in pure Python, quadratic in its length (1 MB froze an instance for minutes)."""

from __future__ import annotations

MAX_QUOTED_CHARACTERS = 32
# A request path is the client's too, but our own paths run to ~70 characters (a prefix and
# two UUIDs): quoted whole up to this, so an operator can still read which resource it was.
MAX_QUOTED_PATH_CHARACTERS = 120
# repr() of an int with more digits than this raises (CPython's int_max_str_digits is 4300)
# and costs quadratic time below it: such a number is described, not printed.
MAX_PRINTED_INT_BITS = 256


def quoted(value: object, limit: int = MAX_QUOTED_CHARACTERS) -> str:
    """`value` for a message: strings and bytes as a repr of at most `limit` characters (control
    characters, quotes and lone surrogates escaped) plus how long the whole was; numbers, None
    and booleans as themselves when short; anything else by its type only (its repr may be
    huge, or costly to build)."""
    if isinstance(value, str | bytes):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value)} {_unit(value)})"
    if value is None or isinstance(value, bool | float):
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > MAX_PRINTED_INT_BITS:
            return f"an integer of {value.bit_length()} bits"
        return repr(value)
    return f"a {type(value).__name__}"


def quoted_path(path: str) -> str:
    """A request path for a message or log line (see MAX_QUOTED_PATH_CHARACTERS)."""
    return quoted(path, MAX_QUOTED_PATH_CHARACTERS)


def _unit(value: str | bytes) -> str:
    return "characters" if isinstance(value, str) else "bytes"
