"""Module discovery (folders, FFDESK_MODULES_PATH, entry points) and dependency ordering."""

from __future__ import annotations

import heapq
import importlib.metadata
import importlib.util
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from ffdesk.engine.errors import MissingError, ValidationError
from ffdesk.engine.manifest import MANIFEST_FILE, Manifest, ManifestError, key_line, load_manifest

__all__ = [
    "ENTRY_POINT_GROUP",
    "MODULES_PATH_VARIABLE",
    "DiscoveredModule",
    "dependencies_closure",
    "dependency_order",
    "dependents_closure",
    "discover_modules",
    "module_search_paths",
    "resolve_dependencies",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ffdesk.modules"
MODULES_PATH_VARIABLE = "FFDESK_MODULES_PATH"

Source = Literal["path", "entry point"]


@dataclass
class DiscoveredModule:
    """A module folder that was found, with its manifest or the one-line reason it is unusable.

    `identifier` is the manifest's identifier, or the folder name when the manifest is broken
    (the entry point name when an entry point could not even be loaded). `path` is the module
    folder (`Path()` when an entry point failed before a folder was known). `problem` is None
    for a usable module.
    """

    identifier: str
    path: Path
    manifest: Manifest | None
    problem: str | None = None
    source: Source = "path"

    @property
    def healthy(self) -> bool:
        """True when the manifest loaded and no problem (own or inherited) was recorded."""
        return self.manifest is not None and self.problem is None

    @property
    def dependencies(self) -> tuple[str, ...]:
        """The manifest's dependencies (empty when the manifest is broken)."""
        return self.manifest.dependencies if self.manifest is not None else ()


def module_search_paths(
    repo_modules: Path,
    extra: Sequence[Path] = (),
    *,
    environ: Mapping[str, str] | None = None,
) -> list[Path]:
    """The folders to scan, in precedence order: `repo_modules`, `extra`, FFDESK_MODULES_PATH.

    FFDESK_MODULES_PATH is split on `os.pathsep`; empty entries are skipped and `~` expanded.
    A folder listed twice is kept once (first place). Shipped modules come first so that an
    environment variable cannot silently shadow them (the first copy of an identifier wins).
    """
    env = os.environ if environ is None else environ
    from_env = [
        Path(entry.strip()).expanduser()
        for entry in env.get(MODULES_PATH_VARIABLE, "").split(os.pathsep)
        if entry.strip()
    ]
    result: list[Path] = []
    seen: set[Path] = set()
    for path in [repo_modules, *extra, *from_env]:
        key = _real(path)
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


def discover_modules(
    paths: Sequence[Path], *, entry_point_group: str | None = ENTRY_POINT_GROUP
) -> dict[str, DiscoveredModule]:
    """Find every module in `paths` and in the entry point group; never raises for bad modules.

    Each path is a folder of module folders (a subfolder without manifest.yaml is ignored, a
    path that does not exist is ignored); a path that is itself a module folder (has a
    manifest.yaml) counts as that one module. Entry points come after all paths; each one's
    object is a path to a module folder or a package whose folder is the module folder (a
    plain `package` value is located with `importlib.util.find_spec`, so the module's code is
    not executed). `entry_point_group=None` skips entry points.

    The result is keyed by identifier. The first copy of an identifier wins; a later copy is
    kept under the key `<identifier>@<folder>` with a "duplicate" problem so it is still listed.
    The same folder reached twice is silently counted once. Dependency problems are resolved
    before returning (see `resolve_dependencies`).
    """
    modules: dict[str, DiscoveredModule] = {}
    seen_folders: dict[Path, str] = {}

    def add(module: DiscoveredModule) -> None:
        if module.path != Path():
            real = _real(module.path)
            if real in seen_folders:
                return
            seen_folders[real] = module.identifier
        if module.identifier not in modules:
            modules[module.identifier] = module
            return
        first = modules[module.identifier]
        location = module.path if module.path != Path() else module.source
        if module.manifest is not None:
            module.problem = (
                f"{module.path.name} ({MANIFEST_FILE}): duplicate identifier "
                f"{module.identifier!r}, already found at {first.path}; this copy at "
                f"{module.path} is ignored"
            )
        key = f"{module.identifier}@{location}"
        while key in modules:  # e.g. two distributions with the same failing entry point name
            key += "'"
        modules[key] = module

    for path in paths:
        for folder in _module_folders(path):
            add(_load(folder, "path"))
    if entry_point_group is not None:
        for module in _entry_point_modules(entry_point_group):
            add(module)
    resolve_dependencies(modules)
    return modules


def resolve_dependencies(modules: Mapping[str, DiscoveredModule]) -> None:
    """Record dependency problems on the modules: unknown dependency, cycle, broken dependency.

    Transitive: a module that depends on a module with any problem gets "depends on broken
    module 'x'". A module that already has a problem keeps it, so calling this again changes
    nothing.
    """
    for key, problem in _dependency_problems(modules).items():
        modules[key].problem = problem


def dependency_order(
    modules: Mapping[str, DiscoveredModule], identifiers: Iterable[str] | None = None
) -> list[str]:
    """Healthy modules (all, or those among `identifiers`), dependencies first.

    Kahn's algorithm; among modules that are ready at the same time the smaller identifier
    comes first, so the order is stable. Broken modules, and modules that would be broken by
    their dependencies, are left out (even if `resolve_dependencies` was not called).
    Identifiers that are unknown or broken are silently dropped: use `dependencies_closure` to
    be told why a module cannot be used.
    """
    healthy = _healthy_keys(modules)
    selected = healthy if identifiers is None else {i for i in identifiers if i in healthy}
    order, leftover = _kahn(
        selected, lambda key: [d for d in modules[key].dependencies if d in selected]
    )
    if leftover:  # healthy modules cannot form a cycle; reaching this is a bug
        raise RuntimeError(f"dependency cycle among healthy modules: {sorted(leftover)}")
    return order


def dependencies_closure(modules: Mapping[str, DiscoveredModule], identifier: str) -> list[str]:
    """The module and all its transitive dependencies, in install order (the module last).

    Raises MissingError for an unknown identifier and ValidationError (with the module's
    problem as message) when the module or one of its dependencies is broken.
    """
    if identifier not in modules:
        raise MissingError(f"unknown module {identifier!r}")
    problems = _dependency_problems(modules)
    module = modules[identifier]
    problem = module.problem or problems.get(identifier)
    if problem is not None or module.manifest is None:
        raise ValidationError(problem or f"module {identifier!r} has no usable manifest")
    closure: set[str] = set()
    stack = [identifier]
    while stack:
        key = stack.pop()
        if key not in closure:
            closure.add(key)
            stack.extend(modules[key].dependencies)
    return dependency_order(modules, closure)


def dependents_closure(modules: Mapping[str, DiscoveredModule], identifier: str) -> list[str]:
    """The module and every module that depends on it, transitively, in uninstall order.

    Dependents come first and the module itself last; ties go by identifier. Broken modules
    are included when their manifest names a dependency, because a module installed before it
    broke must still be uninstalled with what it depends on. Raises MissingError for an
    unknown identifier.
    """
    if identifier not in modules:
        raise MissingError(f"unknown module {identifier!r}")
    dependents: dict[str, list[str]] = {}
    for key, module in modules.items():
        if key == module.identifier:  # duplicates (keyed identifier@folder) are never used
            for dep in module.dependencies:
                dependents.setdefault(dep, []).append(key)
    closure: set[str] = set()
    stack = [identifier]
    while stack:
        key = stack.pop()
        if key not in closure:
            closure.add(key)
            stack.extend(dependents.get(key, ()))
    # Kahn on the reversed edges: a module is ready once all its dependents are gone. Broken
    # modules may form a cycle, so cycles are collapsed first instead of being dropped.
    return _order_with_cycles(closure, lambda key: dependents.get(key, ()))


# --- discovery helpers -----------------------------------------------------------------------


def _real(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # e.g. a symlink loop: compare it as written
        return path.absolute()


def _module_folders(path: Path) -> Iterator[Path]:
    try:
        if (path / MANIFEST_FILE).exists():
            yield path
            return
        if not path.is_dir():
            return
        children = sorted(path.iterdir(), key=lambda child: child.name)
    except OSError as exc:  # unreadable folder: skip it, the application must still start
        log.warning("cannot scan module folder %s: %s", path, exc)
        return
    for child in children:
        if child.name.startswith("."):
            continue
        try:
            if child.is_dir() and (child / MANIFEST_FILE).exists():
                yield child
        except OSError as exc:
            log.warning("cannot scan module folder %s: %s", child, exc)


def _load(folder: Path, source: Source) -> DiscoveredModule:
    try:
        manifest = load_manifest(folder)
    except ManifestError as exc:
        return DiscoveredModule(folder.name, folder, None, str(exc), source)
    except Exception as exc:  # a bug in validation must not hide the other modules
        log.exception("unexpected error while reading the manifest in %s", folder)
        problem = f"{folder.name} ({MANIFEST_FILE}): unexpected error: {type(exc).__name__}: {exc}"
        return DiscoveredModule(folder.name, folder, None, problem, source)
    return DiscoveredModule(manifest.identifier, folder, manifest, None, source)


def _entry_point_modules(group: str) -> Iterator[DiscoveredModule]:
    try:
        entry_points = sorted(
            importlib.metadata.entry_points(group=group), key=lambda ep: (ep.name, ep.value)
        )
    except Exception as exc:  # broken metadata of some unrelated distribution
        log.warning("cannot list entry points of group %s: %s", group, exc)
        return
    for ep in entry_points:
        where = f"entry point {ep.name!r} ({ep.value})"
        try:
            folder = _entry_point_folder(ep)
        except Exception as exc:
            problem = f"{where}: failed to load: {type(exc).__name__}: {exc}"
            yield DiscoveredModule(ep.name, Path(), None, problem, "entry point")
            continue
        if not (folder / MANIFEST_FILE).exists():
            problem = f"{where}: no {MANIFEST_FILE} in {folder}"
            yield DiscoveredModule(ep.name, folder, None, problem, "entry point")
            continue
        yield _load(folder, "entry point")


def _entry_point_folder(ep: importlib.metadata.EntryPoint) -> Path:
    if ep.attr is None:
        # A bare package: find its folder without running its code, which is imported only
        # when the module is installed (as ffdesk.addons.<identifier>).
        spec = importlib.util.find_spec(ep.module)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {ep.module!r}")
        if spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
        raise TypeError(f"{ep.module!r} is a single-file module, not a package folder")
    obj = ep.load()
    if isinstance(obj, ModuleType):
        locations = getattr(obj, "__path__", None)
        if not locations:
            raise TypeError(f"{ep.value!r} is a single-file module, not a package folder")
        file = getattr(obj, "__file__", None)
        return Path(file).parent if file else Path(next(iter(locations)))
    if isinstance(obj, str | os.PathLike):
        return Path(obj)
    raise TypeError(f"gave {type(obj).__name__}, expected a path or a package")


# --- dependency helpers ----------------------------------------------------------------------


def _graph(modules: Mapping[str, DiscoveredModule]) -> dict[str, tuple[str, ...]]:
    # Only first copies take part: a duplicate's key (identifier@folder) is never a dependency.
    return {
        key: module.manifest.dependencies
        for key, module in modules.items()
        if module.manifest is not None and key == module.identifier
    }


def _dependency_problems(modules: Mapping[str, DiscoveredModule]) -> dict[str, str]:
    """The problems `resolve_dependencies` would add, without changing anything."""
    graph = _graph(modules)
    problems: dict[str, str] = {}

    def report(key: str, reason: str) -> None:
        module = modules[key]
        line = key_line(module.path, "dependencies")
        where = MANIFEST_FILE if line is None else f"{MANIFEST_FILE}, line {line}"
        problems[key] = f"{module.path.name or key} ({where}): {reason}"

    def free(key: str) -> bool:
        return modules[key].problem is None and key not in problems

    for key in sorted(graph):
        unknown = [dep for dep in graph[key] if dep not in modules]
        if unknown and free(key):
            names = ", ".join(repr(dep) for dep in unknown)
            report(key, f"depends on unknown module{'s' if len(unknown) > 1 else ''} {names}")

    # Cycles are a property of the manifests, so they are found on every manifest's edges,
    # whatever else is wrong with the modules on the way.
    for key in sorted(graph):
        cycle = _shortest_cycle(graph, key)
        if cycle is not None and free(key):
            report(key, "dependency cycle: " + " -> ".join(cycle))

    # Propagate to a fixed point: a dependency that is broken breaks its dependents too.
    chains: dict[str, list[str]] = {}
    changed = True
    while changed:
        changed = False
        for key in sorted(graph):
            if not free(key):
                continue
            for dep in graph[key]:
                if dep in modules and (modules[dep].manifest is None or not free(dep)):
                    chains[key] = [dep, *chains.get(dep, [])]
                    via = f" (via {' -> '.join(chains[key])})" if len(chains[key]) > 1 else ""
                    report(key, f"depends on broken module {dep!r}{via}")
                    changed = True
                    break
    return problems


def _shortest_cycle(graph: Mapping[str, Sequence[str]], start: str) -> list[str] | None:
    """`[start, ..., start]` along dependency edges, or None when start is on no cycle."""
    parents: dict[str, str] = {}
    queue: deque[str] = deque([start])
    visited = {start}
    while queue:
        node = queue.popleft()
        for dep in graph.get(node, ()):
            if dep == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if dep in graph and dep not in visited:
                visited.add(dep)
                parents[dep] = node
                queue.append(dep)
    return None


def _healthy_keys(modules: Mapping[str, DiscoveredModule]) -> set[str]:
    problems = _dependency_problems(modules)
    return {
        key
        for key, module in modules.items()
        if module.healthy and key == module.identifier and key not in problems
    }


def _order_with_cycles(nodes: set[str], before: Callable[[str], Iterable[str]]) -> list[str]:
    """Like `_kahn`, but a cycle is kept together (members by name) at the place it belongs.

    Each strongly connected group is ordered as one node named after its smallest member. The
    groups are found by reachability, which is quadratic but fine for a few hundred modules.
    """
    edges = {node: set(before(node)) & nodes for node in nodes}

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        stack = list(edges[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(edges[node])
        return seen

    reach = {node: reachable(node) for node in nodes}
    group = {node: min({node} | {o for o in reach[node] if node in reach[o]}) for node in nodes}
    members: dict[str, list[str]] = {}
    for node in sorted(nodes):
        members.setdefault(group[node], []).append(node)
    order, leftover = _kahn(
        set(members),
        lambda head: {group[p] for node in members[head] for p in edges[node]} - {head},
    )
    if leftover:  # the groups form a DAG by construction; reaching this is a bug
        raise RuntimeError(f"cycle left after grouping cycles: {sorted(leftover)}")
    return [node for head in order for node in members[head]]


def _kahn(nodes: set[str], before: Callable[[str], Iterable[str]]) -> tuple[list[str], set[str]]:
    """Order `nodes` so that every node comes after the nodes `before(node)` names.

    Ties go by name (a heap), which makes the order stable. Returns the order and the nodes
    left over because they sit on (or behind) a cycle.
    """
    waiting = {node: set(before(node)) & nodes for node in nodes}
    followers: dict[str, list[str]] = {node: [] for node in nodes}
    for node, prerequisites in waiting.items():
        for prerequisite in prerequisites:
            followers[prerequisite].append(node)
    ready = [node for node, prerequisites in waiting.items() if not prerequisites]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for follower in followers[node]:
            waiting[follower].discard(node)
            if not waiting[follower]:
                heapq.heappush(ready, follower)
    return order, set(nodes) - set(order)
