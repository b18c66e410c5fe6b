"""A YAML file read with where each value sits, so that a validation error names its line.

PyYAML composes the document into nodes that carry their start marks, then constructs the
data from those same nodes: one parse gives both. A pydantic error's `loc` is then walked down
the node tree to the line and column of the offending key or value."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from services.common.quoting import quoted

Loc = tuple[str | int, ...]
Mark = tuple[int, int]  # line and column, from 0
Model = TypeVar("Model", bound=BaseModel)
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlFileError(ValueError):
    """The file is not valid YAML or not a valid document; the message has one line per
    problem, each `file:line:column: where: what`."""


class Invalid(ValueError):
    """A model validator's error about a value below the model: `at` is its path from the
    validated model, so the error points at the value itself, not at the whole model."""

    def __init__(self, at: Loc, message: str) -> None:
        super().__init__(message)
        self.at = at


@dataclass(frozen=True)
class LocatedYaml:
    path: Path
    data: Any
    root: yaml.Node | None  # None for an empty document

    def validate(self, model: type[Model]) -> Model:
        """The document as `model`; a YamlFileError naming the line of every problem."""
        try:
            return model.model_validate(self.data)
        except ValidationError as error:
            problems = sorted(self._problem(model, detail) for detail in error.errors())
            raise YamlFileError("\n".join(text for _, text in problems)) from None

    def _problem(self, model: type[BaseModel], detail: Mapping[str, Any]) -> tuple[Mark, str]:
        loc = tuple(part for part in detail["loc"] if part != "[key]")
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, Invalid):
            return self._located(loc + cause.at, str(cause))
        if detail["type"] == "extra_forbidden":
            return self._located(loc, _unknown_key(model, loc), at_key=True)
        message = detail["msg"]
        if detail["type"] == "value_error" and cause is not None:
            message = str(cause)  # without pydantic's "Value error, " prefix
        if detail["type"] != "missing":  # a missing key's "input" is the mapping around it
            message += f" (got {quoted(detail['input'])})"
        return self._located(loc, message)

    def _located(self, loc: Loc, message: str, at_key: bool = False) -> tuple[Mark, str]:
        mark = _mark_at(self.root, loc, at_key) if self.root is not None else (0, 0)
        return mark, f"{_shown(self.path)}:{mark[0] + 1}:{mark[1] + 1}: {dotted(loc)}: {message}"


def read_yaml(path: Path) -> LocatedYaml:
    """Parse a file with the safe loader, keeping its nodes; duplicate keys are an error (the
    plain loader would keep the last one silently)."""
    loader = yaml.SafeLoader(path.read_text())
    try:
        root = loader.get_single_node()
        if root is not None:
            for at, key, first in _duplicate_keys(root, ()):
                where = f"{key.start_mark.line + 1}:{key.start_mark.column + 1}"
                message = f"duplicate key (first at line {first.start_mark.line + 1})"
                raise YamlFileError(f"{_shown(path)}:{where}: {dotted(at)}: {message}")
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise YamlFileError(f"{_shown(path)}:{where}: {error.problem or error}") from None
    finally:
        loader.dispose()
    return LocatedYaml(path, data, root)


def dotted(loc: Loc) -> str:
    """`services.nft.depends_on.user`, `services.analytics.grpc_services[1]`."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".") or "(the document)"


def _mark_at(root: yaml.Node, loc: Loc, at_key: bool) -> Mark:
    """Where the value at `loc` starts: a scalar value where it is (unless `at_key`: the key
    is what is wrong); otherwise the key that leads to it (a missing key: the deepest key that
    is there)."""
    start = _start(root, loc, at_key)
    return start.line, start.column


def _start(node: yaml.Node, loc: Loc, at_key: bool) -> yaml.Mark:
    mark = node.start_mark
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            entry = next((kv for kv in node.value if _key_text(kv[0]) == str(part)), None)
            if entry is None:
                return mark
            key, node = entry
            mark = key.start_mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return mark
            node = node.value[part]
            mark = node.start_mark
        else:
            return mark
    return node.start_mark if isinstance(node, yaml.ScalarNode) and not at_key else mark


def _duplicate_keys(
    node: yaml.Node, at: Loc, visited: set[int] | None = None
) -> Iterator[tuple[Loc, yaml.Node, yaml.Node]]:
    """Every key repeated in its mapping. An alias is the node its anchor names, met again:
    looked at once only, or a node holding an alias to itself recursed for ever, and aliases
    of aliases (a billion laughs) fanned out exponentially."""
    visited = set() if visited is None else visited
    if id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if key.tag == MERGE_TAG:
                continue
            text = _key_text(key)
            if text in seen:
                yield (*at, text), key, seen[text]
            seen.setdefault(text, key)
            yield from _duplicate_keys(value, (*at, text), visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*at, index), visited)


def _key_text(key: yaml.Node) -> str:
    return key.value if isinstance(key, yaml.ScalarNode) else repr(key)


def _unknown_key(model: type[BaseModel], loc: Loc) -> str:
    allowed = _fields_at(model, loc[:-1])
    if not allowed:
        return "unknown key"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key (expected one of: {', '.join(allowed)})"


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model accepts at `loc`: down model fields, dict values and list items."""
    current: Any = model
    for part in loc:
        current = _unwrapped(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) in (dict, list, Mapping, Sequence):
            current = get_args(current)[-1]
        else:
            return []
    current = _unwrapped(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrapped(annotation: Any) -> Any:
    """`X` of `Annotated[X, ...]` and of `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _shown(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
