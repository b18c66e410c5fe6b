"""Trading's layers: generated wire models (proto messages, REST clients' models) stay in
adapters and mappers; the domain and the use cases import none of them, directly or through
a module they import within trading."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TRADING = Path(__file__).resolve().parents[2] / "services" / "trading"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def module_path(module: str) -> Path | None:
    if not module.startswith("services.trading."):
        return None
    path = TRADING.parent.parent.joinpath(*module.split("."))
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


@pytest.mark.parametrize("layer", ["domain", "service_layer"])
def test_no_generated_model_reaches_the_layer(layer):
    for source in sorted((TRADING / layer).glob("*.py")):
        seen, todo = set(), [source]
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            for module in imported_modules(path):
                assert not module.startswith("generated"), f"{source.name} → {path.name}: {module}"
                if (found := module_path(module)) is not None:
                    todo.append(found)
