"""Module manifests (`manifest.yaml`): loading, validation and static-file resolution."""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import yaml

from ffdesk.engine.errors import ValidationError

__all__ = [
    "ALLOWED_KEYS",
    "BACKBONES",
    "DEFAULT_INTEGRATION_CATEGORIES",
    "IDENTIFIER_PATTERN",
    "INTEGRATIONS_CATEGORY",
    "MANIFEST_FILE",
    "Manifest",
    "ManifestError",
    "check_integration_category",
    "key_line",
    "load_manifest",
    "resolve_static_path",
    "static_dir",
]

MANIFEST_FILE = "manifest.yaml"
IDENTIFIER_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
INTEGRATIONS_CATEGORY = "module_category_integrations"

#: The Integration model's own choices; dependencies may add more with `_selection_add`.
DEFAULT_INTEGRATION_CATEGORIES: tuple[str, ...] = ("Online Payment", "Messaging", "Shipping")

#: Backbone module each integration category needs among the dependencies (None: no backbone).
BACKBONES: dict[str, str | None] = {
    "Online Payment": "online_payment",
    "Messaging": "messaging",
    "Shipping": None,
}

REQUIRED_KEYS: tuple[str, ...] = ("name", "identifier", "dependencies")
OPTIONAL_KEYS: tuple[str, ...] = (
    "version",
    "category",
    "integration_category",
    "description",
    "icon",
    "image",
    "static_paths",
    "cron_sync_method",
    "implicit",
)
ALLOWED_KEYS: tuple[str, ...] = REQUIRED_KEYS + OPTIONAL_KEYS

# Optional keys whose value is plain text (None, i.e. an empty YAML value, means "not given").
_TEXT_KEYS: tuple[str, ...] = (
    "category",
    "integration_category",
    "description",
    "icon",
    "image",
    "cron_sync_method",
)


class ManifestError(ValidationError):
    """A manifest that cannot be used; the message is one line naming folder, file and line.

    Format: ``<folder> (<file>[, line N]): <reason>``. The parts are kept as attributes so a
    caller can show or re-format them.
    """

    def __init__(
        self, reason: str, *, module: str, file: str = MANIFEST_FILE, line: int | None = None
    ) -> None:
        where = file if line is None else f"{file}, line {line}"
        super().__init__(f"{module} ({where}): {reason}")
        self.reason = reason
        self.module = module
        self.file = file
        self.line = line


@dataclass(frozen=True)
class Manifest:
    """The validated content of a module's `manifest.yaml` (optional texts are None if absent)."""

    name: str
    identifier: str
    version: str | None = None
    category: str | None = None
    integration_category: str | None = None
    description: str | None = None
    icon: str | None = None
    image: str | None = None
    static_paths: tuple[str, ...] = ()
    cron_sync_method: str | None = None
    implicit: bool = False
    dependencies: tuple[str, ...] = ()

    @property
    def is_integration(self) -> bool:
        """True for integration modules (`category: module_category_integrations`)."""
        return self.category == INTEGRATIONS_CATEGORY


def key_line(folder: Path, key: str) -> int | None:
    """The 1-based line of the top-level `key:` in the folder's manifest, or None if not found.

    `yaml.safe_load` gives values without positions, so the line is found by a textual scan of
    block-style top-level keys; flow-style manifests simply get no line number.
    """
    try:
        text = (folder / MANIFEST_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"""^(?:{re.escape(key)}|'{re.escape(key)}'|"{re.escape(key)}")\s*:""")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def static_dir(folder: Path, entry: str) -> Path:
    """The folder a `static_paths` entry stands for: `img` and `static/img` both mean static/img."""
    parts = PurePosixPath(entry).parts
    if parts and parts[0] == "static":
        return folder.joinpath(*parts)
    return folder.joinpath("static", *parts)


def resolve_static_path(folder: Path, manifest: Manifest, url_path: str) -> Path | None:
    """Map a URL path such as `/static/img/logo.svg` to a file path inside the module folder.

    Returns None when the path is not under one of the manifest's `static_paths` (or tries to
    leave it with `..` or a symlink). Whether the file exists is left to the caller.
    """
    parts = PurePosixPath(url_path.strip().lstrip("/")).parts
    if not parts or any(part in ("..", ".") or "\\" in part for part in parts):
        return None
    candidate = folder.joinpath(*parts)
    for entry in manifest.static_paths:
        base = static_dir(folder, entry)
        base_parts = base.relative_to(folder).parts
        if len(parts) <= len(base_parts) or parts[: len(base_parts)] != base_parts:
            continue
        # A symlink inside static/ must not expose files outside the declared folder.
        if candidate.exists() and not candidate.resolve().is_relative_to(base.resolve()):
            continue
        return candidate
    return None


def check_integration_category(
    manifest: Manifest, choices: Collection[str], *, folder: Path | None = None
) -> None:
    """Raise ManifestError unless the manifest's integration_category is one of `choices`.

    `choices` are the Integration model's choices including those that dependencies add with
    `_selection_add`, which are known only after their code is imported; hence this check is
    separate from `load_manifest`. Pass `folder` to get the line number in the message.
    """
    value = manifest.integration_category
    if value is None or value in choices:
        return
    allowed = ", ".join(repr(choice) for choice in choices)
    raise ManifestError(
        f"integration_category {value!r} is not one of the Integration model's choices ({allowed})",
        module=folder.name if folder is not None else manifest.identifier,
        line=key_line(folder, "integration_category") if folder is not None else None,
    )


def load_manifest(
    folder: Path, *, known_integration_categories: Collection[str] | None = None
) -> Manifest:
    """Read and validate `<folder>/manifest.yaml`; raise ManifestError with a one-line reason.

    The integration_category choice is checked only when `known_integration_categories` is
    given (see `check_integration_category`). No module code is imported.
    """
    module = folder.name

    def fail(reason: str, key: str | None = None, line: int | None = None) -> ManifestError:
        if line is None and key is not None:
            line = key_line(folder, key)
        return ManifestError(reason, module=module, line=line)

    data = _read_yaml(folder)
    if data is None:
        raise fail("the file is empty; expected a mapping with name, identifier, dependencies")
    if not isinstance(data, dict):
        raise fail(f"expected a mapping of keys, got {_type_name(data)}", line=1)

    # Unknown keys first: a mistyped required key would otherwise be reported as "missing".
    for key in data:
        if key not in ALLOWED_KEYS:
            raise fail(_unknown_key_reason(key), key=str(key))
    for key in REQUIRED_KEYS:
        if key not in data:
            raise fail(f"missing required key {key!r}")

    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise fail(f"'name' must be a non-empty text, got {_show(name)}", key="name")

    identifier = data["identifier"]
    if not isinstance(identifier, str):
        raise fail(f"'identifier' must be a text, got {_show(identifier)}", key="identifier")
    if not IDENTIFIER_PATTERN.fullmatch(identifier):
        raise fail(
            f"identifier {identifier!r} must match [a-z][a-z0-9_]* "
            "(lower-case letters, digits, underscores)",
            key="identifier",
        )
    if identifier != module:
        raise fail(
            f"identifier {identifier!r} does not match the folder name {module!r}",
            key="identifier",
        )

    dependencies = _dependencies(data["dependencies"], fail)
    version = _version(data.get("version"), fail)
    texts: dict[str, str | None] = {}
    for key in _TEXT_KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(f"{key!r} must be a text, got {_show(value)}", key=key)
        texts[key] = value.strip() if isinstance(value, str) and value.strip() else None
    static_paths = _static_paths(folder, data.get("static_paths"), fail)
    implicit = data.get("implicit", False)
    if implicit is None:
        implicit = False
    if not isinstance(implicit, bool):
        raise fail(f"'implicit' must be true or false, got {_show(implicit)}", key="implicit")
    cron = texts["cron_sync_method"]
    if cron is not None and not cron.isidentifier():
        raise fail(f"'cron_sync_method' {cron!r} is not a method name", key="cron_sync_method")

    manifest = Manifest(
        name=name.strip(),
        identifier=identifier,
        version=version,
        category=texts["category"],
        integration_category=texts["integration_category"],
        description=texts["description"],
        icon=texts["icon"],
        image=texts["image"],
        static_paths=static_paths,
        cron_sync_method=cron,
        implicit=implicit,
        dependencies=dependencies,
    )
    _check_integration(folder, manifest, fail)
    if known_integration_categories is not None:
        check_integration_category(manifest, known_integration_categories, folder=folder)
    return manifest


class _Fail(Protocol):
    """Builds a ManifestError for a reason, locating the line from a key when given."""

    def __call__(
        self, reason: str, key: str | None = None, line: int | None = None
    ) -> ManifestError: ...


def fast_safe_load(text: str) -> Any:
    """yaml.safe_load through libyaml when present (discovery reads hundreds of files).

    On an error the pure-Python loader parses again, so messages and line numbers are the
    same whichever loader is installed.
    """
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def _read_yaml(folder: Path) -> Any:
    module = folder.name
    path = folder / MANIFEST_FILE
    if not path.exists():
        raise ManifestError("file not found", module=module)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise ManifestError(reason, module=module) from None
    except OSError as exc:
        raise ManifestError(f"cannot read the file: {exc.strerror or exc}", module=module) from None
    try:
        return fast_safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ManifestError(
            f"bad YAML: {problem}",
            module=module,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.YAMLError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        raise ManifestError(f"bad YAML: {first_line}", module=module) from None


def _unknown_key_reason(key: object) -> str:
    allowed = ", ".join(ALLOWED_KEYS)
    if isinstance(key, str):
        close = difflib.get_close_matches(key, ALLOWED_KEYS, n=1, cutoff=0.6)
        if close:
            return f"unknown key {key!r} (did you mean {close[0]!r}?); allowed keys: {allowed}"
    return f"unknown key {key!r}; allowed keys: {allowed}"


def _dependencies(value: Any, fail: _Fail) -> tuple[str, ...]:
    if value is None:
        raise fail("'dependencies' is empty; write 'dependencies: []' for none", key="dependencies")
    if not isinstance(value, list):
        raise fail(
            f"'dependencies' must be a list of module identifiers, got {_show(value)}",
            key="dependencies",
        )
    result: list[str] = []
    for item in value:
        if not isinstance(item, str) or not IDENTIFIER_PATTERN.fullmatch(item):
            raise fail(
                f"'dependencies' entry {_show(item)} is not a module identifier",
                key="dependencies",
            )
        if item not in result:  # a repeated dependency is harmless; keep the first
            result.append(item)
    return tuple(result)


def _version(value: Any, fail: _Fail) -> str | None:
    if value is None:
        return None
    # YAML reads `version: 1.0` as a float; accept numbers, but not booleans or dates.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail(f"'version' must be a text such as '1.0', got {_show(value)}", key="version")
    return str(value).strip() or None


def _static_paths(folder: Path, value: Any, fail: _Fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail(
            f"'static_paths' must be a list of folders, got {_show(value)}", key="static_paths"
        )
    result: list[str] = []
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise fail(
                f"'static_paths' entry {_show(entry)} is not a folder name", key="static_paths"
            )
        posix = PurePosixPath(entry.strip())
        if posix.is_absolute() or ".." in posix.parts or "\\" in entry:
            raise fail(
                f"'static_paths' entry {entry!r} must be a relative folder inside the module",
                key="static_paths",
            )
        directory = static_dir(folder, str(posix))
        if not directory.is_dir():
            raise fail(
                f"'static_paths' entry {entry!r}: folder "
                f"{directory.relative_to(folder).as_posix()} does not exist",
                key="static_paths",
            )
        result.append(str(posix))
    return tuple(result)


def _check_integration(folder: Path, manifest: Manifest, fail: _Fail) -> None:
    if manifest.is_integration:
        if manifest.integration_category is None:
            raise fail(
                f"'integration_category' is required for category {INTEGRATIONS_CATEGORY}",
                key="category",
            )
        if manifest.image is None:
            raise fail(f"'image' is required for category {INTEGRATIONS_CATEGORY}", key="category")
    if manifest.image is not None:
        path = resolve_static_path(folder, manifest, manifest.image)
        if path is None:
            declared = ", ".join(manifest.static_paths) or "none declared"
            raise fail(
                f"image {manifest.image!r} is not under one of static_paths ({declared})",
                key="image",
            )
        if not path.is_file():
            raise fail(
                f"image {manifest.image!r}: file {path.relative_to(folder).as_posix()} "
                "does not exist",
                key="image",
            )
    category = manifest.integration_category
    backbone = BACKBONES.get(category) if category is not None else None
    if backbone is not None and backbone not in manifest.dependencies:
        raise fail(
            f"integration_category {category!r} requires the backbone module {backbone!r} "
            "among dependencies",
            key="dependencies",
        )


def _type_name(value: object) -> str:
    names: dict[type, str] = {
        dict: "a mapping",
        list: "a list",
        str: "a text",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "an empty value",
        datetime.date: "a date",
        datetime.datetime: "a date and time",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _show(value: object) -> str:
    text = repr(value)
    if len(text) > 60:  # keep the reason on one readable line
        text = text[:57] + "..."
    return f"{text} ({_type_name(value)})"
