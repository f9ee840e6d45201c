"""Imports an installed module's Python code as `ffdesk.addons.<identifier>`."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from ffdesk.engine.errors import ValidationError
from ffdesk.engine.model import DECLARATIONS, Model

ADDONS = "ffdesk.addons"


class ModuleCodeError(ValidationError):
    """A module's code failed to import; the message names the module, file and line."""


@dataclass(frozen=True)
class LoadedCode:
    """The model declarations a module's code made, in definition order."""

    identifier: str
    path: Path
    declarations: tuple[type[Model], ...]


_loaded: dict[str, LoadedCode] = {}


def _forget(identifier: str) -> None:
    prefix = f"{ADDONS}.{identifier}"
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]
    DECLARATIONS[:] = [d for d in DECLARATIONS if not _belongs(d, prefix)]


def _belongs(decl: type, prefix: str) -> bool:
    return decl.__module__ == prefix or decl.__module__.startswith(prefix + ".")


def _where(exc: BaseException, folder: Path) -> str:
    """`models/x.py, line 3` for the deepest frame inside the module folder."""
    if isinstance(exc, SyntaxError) and exc.filename:
        file = Path(exc.filename)
        rel = file.relative_to(folder) if file.is_relative_to(folder) else file
        return f"{rel.as_posix()}, line {exc.lineno}"
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if Path(f.filename).is_relative_to(folder)
    ]
    if frames:
        frame = frames[-1]
        return f"{Path(frame.filename).relative_to(folder).as_posix()}, line {frame.lineno}"
    return "__init__.py"


def load_module_code(identifier: str, folder: Path) -> LoadedCode:
    """Import the module's package (and its `models` subpackage); return its declarations."""
    folder = folder.resolve()
    cached = _loaded.get(identifier)
    if cached is not None and cached.path == folder:
        return cached
    _forget(identifier)
    name = f"{ADDONS}.{identifier}"
    init = folder / "__init__.py"
    has_models = (folder / "models.py").exists() or (folder / "models" / "__init__.py").exists()
    if not init.exists() and not has_models:
        loaded = LoadedCode(identifier, folder, ())
        _loaded[identifier] = loaded
        return loaded
    try:
        importlib.import_module(ADDONS)
        if init.exists():
            spec = importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[str(folder)]
            )
        else:
            spec = importlib.util.spec_from_loader(name, loader=None, is_package=True)
        assert spec is not None
        package = importlib.util.module_from_spec(spec)
        if not init.exists():
            package.__path__ = [str(folder)]
        sys.modules[name] = package
        if spec.loader is not None:
            spec.loader.exec_module(package)
        if has_models and f"{name}.models" not in sys.modules:
            importlib.import_module(f"{name}.models")
    except Exception as exc:  # any error in third-party code is that module's problem
        _forget(identifier)
        kind = type(exc).__name__
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise ModuleCodeError(f"{identifier} ({_where(exc, folder)}): {kind}: {detail}") from None
    declarations = tuple(d for d in DECLARATIONS if _belongs(d, name))
    loaded = LoadedCode(identifier, folder, declarations)
    _loaded[identifier] = loaded
    return loaded
