"""Every method of a grpclib servable wrapped alike (a check before it runs). grpclib's Server
takes anything with `__mapping__()`: method path -> Handler, whose `func` handles one stream.
Kept apart from grpc_messages so that the registry's xDS server need not load betterproto."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from grpclib.const import Handler
from grpclib.server import Stream

Method = Callable[[Stream[Any, Any]], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Servable:
    """What grpclib's Server takes: a mapping of method paths to handlers."""

    mapping: Mapping[str, Handler]

    def __mapping__(self) -> dict[str, Handler]:
        return dict(self.mapping)


def each_method(servable: Any, wrap: Callable[[Method], Method]) -> Servable:
    """`servable` (a servicer, Health, another Servable) with each method run as `wrap(it)`."""
    return each_method_by_path(servable, lambda _, method: wrap(method))


def each_method_by_path(servable: Any, wrap: Callable[[str, Method], Method]) -> Servable:
    """As `each_method`, `wrap` also told the method's path (`/package.Service/Method`)."""
    return Servable(
        {
            path: handler._replace(func=wrap(path, handler.func))
            for path, handler in servable.__mapping__().items()
        }
    )
