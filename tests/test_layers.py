"""SPEC 1: the layers' "never imports" column, checked at run time and in the source."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "shiboken6", "qasync")
HIGHER = (
    "ffdesk.ui",
    "ffdesk.sync",
    "ffdesk.secrets",
    "ffdesk.services",
    "ffdesk.api",
    "ffdesk.cli",
    "ffdesk.app",
    "ffdesk.__main__",
)
# layer: (packages to import, names that must not be imported)
LAYERS = {
    "engine": (["ffdesk.engine"], (*QT, "httpx", "keyring", *HIGHER)),
    "secrets": (["ffdesk.secrets"], (*QT, "ffdesk.ui")),
    "sync": (["ffdesk.sync"], (*QT, "ffdesk.ui")),
}
MODULE_ALLOWED = ("ffdesk.engine.base", "ffdesk.sync", "httpx", "__future__")
# The engine from the bottom up. A file imports only files of its own layer or below, and the
# files of one layer never import each other in a circle. Every import counts: nested ones and
# those under TYPE_CHECKING too (a lower file names a higher object by a Protocol instead).
ENGINE_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        ("__init__", "errors", "money", "postgresql", "db_errors", "integrity", "db", "env"),
    ),
    ("fields and Q-expressions", ("fields", "q")),
    ("records", ("audit", "company_values", "query", "model")),
    ("registry and schema", ("registry", "schema", "core_models")),
    ("views and forms", ("views", "forms", "view_service")),
    ("modules", ("manifest", "discovery", "loader", "data_files")),
    ("system", ("system",)),
    ("public API", ("base",)),
)

PROBE = r"""
import importlib, json, pkgutil, sys
names = json.loads(sys.argv[1])
imported = []
for name in names:
    module = importlib.import_module(name)
    imported.append(name)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=name + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
print(json.dumps({"imported": imported, "modules": sorted(sys.modules)}))
"""


def _loaded(packages: list[str]) -> tuple[list[str], list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(packages)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["imported"], data["modules"]


def _hits(modules: list[str], forbidden: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden)]


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_importing_a_layer_never_loads_what_it_must_not(layer: str) -> None:
    packages, forbidden = LAYERS[layer]
    imported, modules = _loaded(packages)
    assert len(imported) >= 1
    if layer == "engine":
        for expected in (
            "ffdesk.engine.base",
            "ffdesk.engine.q",
            "ffdesk.engine.model",
            "ffdesk.engine.registry",
            "ffdesk.engine.schema",
        ):
            assert expected in imported
        assert "sqlalchemy" in modules
    assert _hits(modules, forbidden) == [], f"{layer} loaded {_hits(modules, forbidden)}"


def _imports(path: Path) -> list[tuple[int, str, int]]:
    """(line, imported module, relative level) for every import in a file, nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or "", node.level))
    return found


def _layer_files(layer: str) -> list[Path]:
    if layer == "secrets":
        single = ROOT / "ffdesk" / "secrets.py"
        package = ROOT / "ffdesk" / "secrets"
        return [single] if single.exists() else sorted(package.rglob("*.py"))
    return sorted((ROOT / "ffdesk" / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layer_sources_never_import_what_they_must_not(layer: str) -> None:
    """Also imports inside functions, which a run-time check only sees when they run."""
    _, forbidden = LAYERS[layer]
    files = _layer_files(layer)
    assert files
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in files
        for line, name, level in _imports(path)
        if level == 0 and _hits([name], forbidden)
    ]
    assert bad == []


def _module_sources() -> list[Path]:
    shipped = ROOT / "ffdesk" / "modules"
    return sorted(p for p in shipped.rglob("*.py") if "__pycache__" not in p.parts)


def _allowed_in_module(name: str, level: int) -> bool:
    if level > 0:
        return True  # the module's own files
    if any(name == a or name.startswith(a + ".") for a in MODULE_ALLOWED):
        return True
    return name.split(".")[0] in sys.stdlib_module_names


def test_the_module_rule_itself() -> None:
    assert _allowed_in_module("ffdesk.engine.base", 0)
    assert _allowed_in_module("ffdesk.sync.results", 0)
    assert _allowed_in_module("datetime", 0) and _allowed_in_module("urllib.parse", 0)
    assert _allowed_in_module("models", 1) and _allowed_in_module("httpx", 0)
    for bad in (
        "ffdesk.engine.model",
        "ffdesk.engine",
        "ffdesk.ui.dialogs",
        "PySide6.QtCore",
        "qasync",
        "keyring",
        "ffdesk.secrets",
        "ffdesk",
        "sqlalchemy",
        "requests",
    ):
        assert not _allowed_in_module(bad, 0), bad


def test_integration_modules_import_only_the_public_api() -> None:
    files = _module_sources()
    assert len(files) > 20, "the shipped modules' sources were not found under ffdesk/modules"
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {name or '.'}"
        for path in files
        for line, name, level in _imports(path)
        if not _allowed_in_module(name, level)
    ]
    assert bad == [], "modules may import only ffdesk.engine.base, ffdesk.sync, httpx, stdlib"


def _engine_edges(files: list[Path]) -> dict[str, set[str]]:
    """Which engine files each engine file imports (by file stem)."""
    edges: dict[str, set[str]] = {}
    for path in files:
        targets = edges.setdefault(path.stem, set())
        for _, name, level in _imports(path):
            assert level == 0, f"{path.name}: relative import"
            if name.startswith("ffdesk.engine."):
                targets.add(name.split(".")[2])
        # `from ffdesk.engine import loader` names a file too
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "ffdesk.engine":
                targets.update(alias.name for alias in node.names)
    return edges


def _upward(
    edges: dict[str, set[str]], layers: tuple[tuple[str, tuple[str, ...]], ...]
) -> list[str]:
    rank = {stem: i for i, (_, stems) in enumerate(layers) for stem in stems}
    return sorted(
        f"{source} ({layers[rank[source]][0]}) imports {target} ({layers[rank[target]][0]})"
        for source, targets in edges.items()
        for target in targets
        if rank[target] > rank[source]
    )


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import circle among the files, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_engine_order_rules_themselves() -> None:
    layers = (("low", ("a", "b")), ("high", ("c",)))
    assert _upward({"a": {"b"}, "b": set(), "c": {"a"}}, layers) == []
    assert _upward({"a": {"c"}, "b": set(), "c": set()}, layers) == ["a (low) imports c (high)"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []
    assert _cycle({"a": {"b"}, "b": {"a"}, "c": set()}) == ["a", "b", "a"]


def test_every_engine_file_has_one_layer() -> None:
    stems = [stem for _, names in ENGINE_LAYERS for stem in names]
    assert len(stems) == len(set(stems))
    on_disk = {p.stem for p in (ROOT / "ffdesk" / "engine").glob("*.py")}
    assert set(stems) == on_disk, "declare each engine file's layer in ENGINE_LAYERS"


def test_engine_files_import_only_their_layer_or_below() -> None:
    edges = _engine_edges(sorted((ROOT / "ffdesk" / "engine").glob("*.py")))
    assert _upward(edges, ENGINE_LAYERS) == []


def test_engine_files_import_each_other_in_no_circle() -> None:
    edges = _engine_edges(sorted((ROOT / "ffdesk" / "engine").glob("*.py")))
    assert _cycle(edges) == []
