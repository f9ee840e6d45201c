"""Tests for ffdesk.engine.discovery: finding modules, dependency problems and ordering."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffdesk.engine.discovery import (
    DiscoveredModule,
    dependencies_closure,
    dependency_order,
    dependents_closure,
    discover_modules,
    module_search_paths,
    resolve_dependencies,
)
from ffdesk.engine.errors import MissingError, ValidationError
from ffdesk.engine.manifest import Manifest
from tests.engine.test_manifest import CORPUS, make_module

# --- helpers ---------------------------------------------------------------------------------


def virtual(graph: dict[str, list[str]]) -> dict[str, DiscoveredModule]:
    """In-memory modules (no files) from `{identifier: dependencies}`."""
    return {
        name: DiscoveredModule(
            name, Path("/virtual") / name, Manifest(name, name, dependencies=tuple(deps))
        )
        for name, deps in graph.items()
    }


@pytest.fixture
def backbones(tmp_path: Path) -> Path:
    """A modules folder with the backbone modules the corpus depends on."""
    root = tmp_path / "backbones"
    make_module(root, "integrations")
    make_module(root, "online_payment", dependencies=["integrations"])
    make_module(root, "messaging", dependencies=["integrations"])
    return root


def readme_rows() -> list[tuple[str, str, str]]:
    """(folder, found by, expected substring) for every row of the corpus README table."""
    rows = []
    for line in (CORPUS / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("folder", "---"):
            expected = re.fullmatch(r"`(.*)`", cells[3])
            assert expected, f"README row without a `substring`: {line}"
            rows.append((cells[0], cells[2], expected.group(1)))
    return rows


# --- the broken corpus -----------------------------------------------------------------------


def test_readme_lists_every_corpus_folder() -> None:
    folders = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    listed = [folder for folder, _, _ in readme_rows()]
    assert sorted(listed) == folders
    assert len(set(listed)) == len(listed)
    assert {found_by for _, found_by, _ in readme_rows()} == {
        "manifest",
        "dependencies",
        "categories",
        "install",
    }


def test_discovering_the_corpus_never_raises_and_imports_nothing() -> None:
    before = set(sys.modules)
    modules = discover_modules([CORPUS], entry_point_group=None)
    assert set(modules) == {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert all(m.source == "path" and m.path.parent == CORPUS for m in modules.values())
    # The corpus alone lacks its backbone, which the healthy manifests report.
    assert "depends on unknown module 'online_payment'" in (modules["invalid_q"].problem or "")
    assert dependency_order(modules) == []
    assert not {name for name in set(sys.modules) - before if "import_error" in name}


@pytest.mark.parametrize(("folder", "found_by", "expected"), readme_rows())
def test_corpus_reason_matches_readme(
    backbones: Path, folder: str, found_by: str, expected: str
) -> None:
    modules = discover_modules([backbones, CORPUS], entry_point_group=None)
    module = modules[folder]
    assert module.identifier == folder
    if found_by in ("manifest", "dependencies"):
        assert module.problem is not None
        assert expected in module.problem
        assert module.problem.startswith(f"{folder} (manifest.yaml")
        assert "\n" not in module.problem
        assert (module.manifest is None) == (found_by == "manifest")
    else:  # categories and install problems are found later, by the installer
        assert module.problem is None, module.problem
        assert module.healthy


def test_corpus_with_backbones_orders_the_healthy_ones(backbones: Path) -> None:
    modules = discover_modules([backbones, CORPUS], entry_point_group=None)
    order = dependency_order(modules)
    assert order[:3] == ["integrations", "messaging", "online_payment"]
    assert set(order) == {key for key, m in modules.items() if m.healthy}
    assert "cycle_a" not in order and "depends_on_broken" not in order


# --- finding modules in folders --------------------------------------------------------------


def test_healthy_modules_discover_fine(tmp_path: Path) -> None:
    root = tmp_path / "modules"
    make_module(root, "integrations")
    make_module(root, "online_payment", dependencies=["integrations"])
    make_module(
        root, "payment_x", dependencies=["online_payment"], integration_category="Online Payment"
    )
    (root / "not_a_module").mkdir()  # no manifest: ignored
    (root / "not_a_module" / "readme.txt").write_text("x")
    (root / "loose_file.yaml").write_text("name: x\n")
    make_module(root / ".hidden", "ghost")  # inside a hidden folder: never reached
    make_module(root, ".git")  # hidden folder with a manifest: skipped

    modules = discover_modules([root, tmp_path / "does_not_exist"], entry_point_group=None)

    assert sorted(modules) == ["integrations", "online_payment", "payment_x"]
    stripe = modules["payment_x"]
    assert stripe.healthy and stripe.problem is None and stripe.source == "path"
    assert stripe.path == root / "payment_x"
    assert stripe.manifest is not None and stripe.manifest.integration_category == "Online Payment"
    assert stripe.dependencies == ("online_payment",)
    assert dependency_order(modules) == ["integrations", "online_payment", "payment_x"]


def test_a_path_that_is_itself_a_module_folder(tmp_path: Path) -> None:
    folder = make_module(tmp_path, "solo")
    assert list(discover_modules([folder], entry_point_group=None)) == ["solo"]


def test_broken_manifest_is_listed_under_its_folder_name(tmp_path: Path) -> None:
    make_module(tmp_path, "payment_foo", text="name: [unclosed\n")
    module = discover_modules([tmp_path], entry_point_group=None)["payment_foo"]
    assert module.manifest is None and not module.healthy and module.dependencies == ()
    assert module.problem is not None and module.problem.startswith("payment_foo (manifest.yaml")


def test_duplicate_identifier_first_path_wins(tmp_path: Path) -> None:
    first = make_module(tmp_path / "one", "payment_x")
    second = make_module(tmp_path / "two", "payment_x", dependencies=["missing"])

    modules = discover_modules([tmp_path / "one", tmp_path / "two"], entry_point_group=None)

    assert modules["payment_x"].path == first and modules["payment_x"].healthy
    duplicate = modules[f"payment_x@{second}"]
    assert duplicate.identifier == "payment_x" and duplicate.path == second
    assert duplicate.problem == (
        f"payment_x (manifest.yaml): duplicate identifier 'payment_x', already found at "
        f"{first}; this copy at {second} is ignored"
    )
    assert dependency_order(modules) == ["payment_x"]


def test_same_folder_twice_is_counted_once(tmp_path: Path) -> None:
    make_module(tmp_path / "mods", "a")
    (tmp_path / "alias").symlink_to(tmp_path / "mods")
    modules = discover_modules(
        [tmp_path / "mods", tmp_path / "alias", tmp_path / "mods" / "a"], entry_point_group=None
    )
    assert list(modules) == ["a"]


def test_unreadable_folder_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_module(tmp_path / "ok", "a")
    real_iterdir = Path.iterdir

    def iterdir(self: Path) -> Iterator[Path]:
        if self.name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    (tmp_path / "locked").mkdir()
    monkeypatch.setattr(Path, "iterdir", iterdir)
    modules = discover_modules([tmp_path / "locked", tmp_path / "ok"], entry_point_group=None)
    assert list(modules) == ["a"]


# --- FFDESK_MODULES_PATH ---------------------------------------------------------------------


def test_module_search_paths_order_and_parsing(tmp_path: Path) -> None:
    repo = tmp_path / "repo_modules"
    env_value = os.pathsep.join(
        [str(tmp_path / "env1"), "", "  ", str(repo), "~/ffdesk_extra", str(tmp_path / "env2")]
    )
    paths = module_search_paths(
        repo, [tmp_path / "extra"], environ={"FFDESK_MODULES_PATH": env_value}
    )
    assert paths == [
        repo,
        tmp_path / "extra",
        tmp_path / "env1",
        Path("~/ffdesk_extra").expanduser(),
        tmp_path / "env2",
    ]


def test_module_search_paths_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FFDESK_MODULES_PATH", raising=False)
    assert module_search_paths(tmp_path / "repo") == [tmp_path / "repo"]
    monkeypatch.setenv("FFDESK_MODULES_PATH", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    assert module_search_paths(tmp_path / "repo") == [
        tmp_path / "repo",
        tmp_path / "a",
        tmp_path / "b",
    ]


def test_env_path_modules_are_discovered_after_repo_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    make_module(repo, "shared")
    make_module(tmp_path / "user", "shared")
    make_module(tmp_path / "user", "custom_module", dependencies=["shared"])
    monkeypatch.setenv("FFDESK_MODULES_PATH", str(tmp_path / "user"))

    modules = discover_modules(module_search_paths(repo), entry_point_group=None)

    assert modules["shared"].path == repo / "shared"
    assert "duplicate identifier" in (
        modules[f"shared@{tmp_path / 'user' / 'shared'}"].problem or ""
    )
    assert dependency_order(modules) == ["shared", "custom_module"]


# --- entry points (a real dist-info on sys.path) ---------------------------------------------

ENTRY_POINTS = """\
[ffdesk.modules]
ep_package = ep_package
ep_pathlike = ep_pointer:MODULE_DIR
ep_subpackage = ep_pointer:ep_subpackage
ep_missing = ep_no_such_package_xyz
ep_bad_attr = ep_pointer:NO_SUCH_ATTR
ep_wrong_type = ep_pointer:NUMBER
ep_no_manifest = ep_pointer:EMPTY_DIR
ep_plain = ep_plain_module

[some.other.group]
ep_elsewhere = ep_package
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site folder on sys.path holding a distribution that declares ffdesk.modules entries."""
    site = tmp_path / "site"
    dist_info = site / "ffdesk_fixture_modules-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ffdesk-fixture-modules\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(ENTRY_POINTS)

    package = make_module(site, "ep_package", dependencies=["ep_pathlike"])
    (package / "__init__.py").write_text("raise RuntimeError('module code ran at discovery')\n")

    pointer = site / "ep_pointer"
    pointer.mkdir()
    (pointer / "__init__.py").write_text(
        "from pathlib import Path\n"
        "from . import ep_subpackage\n"
        "MODULE_DIR = str(Path(__file__).parent / 'ep_pathlike')\n"
        "EMPTY_DIR = Path(__file__).parent / 'empty'\n"
        "NUMBER = 42\n"
    )
    make_module(pointer, "ep_pathlike")
    (make_module(pointer, "ep_subpackage") / "__init__.py").write_text("")
    (pointer / "empty").mkdir()
    (site / "ep_plain_module.py").write_text("")

    before = set(sys.modules)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in set(sys.modules) - before:
        if name.startswith("ep_"):
            del sys.modules[name]


def test_entry_points_are_discovered(site: Path) -> None:
    modules = discover_modules([], entry_point_group="ffdesk.modules")

    package = modules["ep_package"]
    assert package.source == "entry point" and package.healthy
    assert package.path == site / "ep_package"
    assert "ep_package" not in sys.modules  # located with find_spec, not imported

    assert modules["ep_pathlike"].path == site / "ep_pointer" / "ep_pathlike"
    assert modules["ep_pathlike"].healthy
    assert modules["ep_subpackage"].path == site / "ep_pointer" / "ep_subpackage"
    assert modules["ep_subpackage"].healthy
    assert dependency_order(modules) == ["ep_pathlike", "ep_package", "ep_subpackage"]
    assert "ep_elsewhere" not in modules


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ep_missing", "ModuleNotFoundError: No module named 'ep_no_such_package_xyz'"),
        ("ep_bad_attr", "failed to load: AttributeError"),
        ("ep_wrong_type", "failed to load: TypeError: gave int, expected a path or a package"),
        ("ep_plain", "failed to load: TypeError: 'ep_plain_module' is a single-file module"),
        ("ep_no_manifest", "no manifest.yaml in "),
    ],
)
def test_broken_entry_points_become_problems(site: Path, name: str, expected: str) -> None:
    modules = discover_modules([], entry_point_group="ffdesk.modules")
    module = modules[name]
    assert module.source == "entry point" and module.manifest is None
    assert module.problem is not None and module.problem.startswith(f"entry point {name!r} (")
    assert expected in module.problem


def test_entry_point_duplicating_a_path_module(site: Path, tmp_path: Path) -> None:
    local = make_module(tmp_path / "mods", "ep_pathlike")
    modules = discover_modules([tmp_path / "mods"], entry_point_group="ffdesk.modules")
    assert modules["ep_pathlike"].path == local and modules["ep_pathlike"].source == "path"
    duplicate = modules[f"ep_pathlike@{site / 'ep_pointer' / 'ep_pathlike'}"]
    assert duplicate.source == "entry point" and "duplicate identifier" in (duplicate.problem or "")


def test_failed_entry_point_name_clash_keeps_both(site: Path, tmp_path: Path) -> None:
    make_module(tmp_path / "mods", "ep_missing")
    modules = discover_modules([tmp_path / "mods"], entry_point_group="ffdesk.modules")
    assert modules["ep_missing"].healthy
    assert "failed to load" in (modules["ep_missing@entry point"].problem or "")


def test_no_entry_points_in_an_unused_group() -> None:
    assert discover_modules([], entry_point_group="ffdesk.tests.no_such_group") == {}


# --- dependency problems ---------------------------------------------------------------------


def test_unknown_dependency(tmp_path: Path) -> None:
    make_module(tmp_path, "a", dependencies=["ghost"])
    make_module(tmp_path, "b", dependencies=["a"])
    modules = discover_modules([tmp_path], entry_point_group=None)
    assert modules["a"].problem == "a (manifest.yaml, line 3): depends on unknown module 'ghost'"
    assert modules["b"].problem == "b (manifest.yaml, line 3): depends on broken module 'a'"


def test_three_cycle_and_its_dependents() -> None:
    modules = virtual({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["c"], "e": []})
    resolve_dependencies(modules)
    assert modules["a"].problem == "a (manifest.yaml): dependency cycle: a -> b -> c -> a"
    assert modules["b"].problem == "b (manifest.yaml): dependency cycle: b -> c -> a -> b"
    assert modules["c"].problem == "c (manifest.yaml): dependency cycle: c -> a -> b -> c"
    assert modules["d"].problem == "d (manifest.yaml): depends on broken module 'c'"
    assert dependency_order(modules) == ["e"]


def test_shortest_cycle_is_reported() -> None:
    modules = virtual({"a": ["z", "b"], "b": ["a"], "z": ["y"], "y": ["a"]})
    resolve_dependencies(modules)
    assert (modules["a"].problem or "").endswith("dependency cycle: a -> b -> a")


def test_transitive_broken_dependency_names_the_chain() -> None:
    modules = virtual({"base": [], "mid": ["base"], "top": ["mid"], "app": ["top"]})
    modules["base"].problem = "base (manifest.yaml): something"
    resolve_dependencies(modules)
    assert modules["mid"].problem == "mid (manifest.yaml): depends on broken module 'base'"
    assert modules["top"].problem == (
        "top (manifest.yaml): depends on broken module 'mid' (via mid -> base)"
    )
    assert (modules["app"].problem or "").endswith("'top' (via top -> mid -> base)")


def test_resolve_dependencies_is_idempotent() -> None:
    modules = virtual({"a": ["b"], "b": ["a"], "c": ["a"], "d": ["x"], "e": []})
    resolve_dependencies(modules)
    first = {key: m.problem for key, m in modules.items()}
    resolve_dependencies(modules)
    assert {key: m.problem for key, m in modules.items()} == first
    assert first["e"] is None


def test_dependency_order_without_resolving_skips_would_be_broken_modules() -> None:
    modules = virtual({"a": ["b"], "b": ["a"], "c": ["a"], "d": ["x"], "e": [], "f": ["e"]})
    assert dependency_order(modules) == ["e", "f"]
    assert all(m.problem is None for m in modules.values())  # nothing was changed


# --- ordering and closures -------------------------------------------------------------------


def test_dependency_order_is_stable_with_ties_by_identifier() -> None:
    graph = {"zeta": [], "alpha": ["zeta"], "mid": [], "beta": ["mid", "zeta"], "aaa": ["beta"]}
    expected = ["mid", "zeta", "alpha", "beta", "aaa"]
    assert dependency_order(virtual(graph)) == expected
    assert dependency_order(virtual(dict(reversed(graph.items())))) == expected


def test_dependency_order_of_a_subset() -> None:
    modules = virtual({"a": [], "b": ["a"], "c": ["b"], "d": []})
    assert dependency_order(modules, ["c", "a"]) == ["a", "c"]
    assert dependency_order(modules, ["c", "ghost"]) == ["c"]


def test_dependencies_closure() -> None:
    modules = virtual({"a": [], "b": ["a"], "c": ["b", "a"], "d": ["a"], "x": ["c", "d"]})
    assert dependencies_closure(modules, "c") == ["a", "b", "c"]
    assert dependencies_closure(modules, "x") == ["a", "b", "c", "d", "x"]
    assert dependencies_closure(modules, "a") == ["a"]


def test_dependencies_closure_errors() -> None:
    modules = virtual({"a": ["ghost"], "b": ["a"], "ok": []})
    with pytest.raises(MissingError, match="unknown module 'nope'"):
        dependencies_closure(modules, "nope")
    with pytest.raises(ValidationError, match="depends on broken module 'a'"):
        dependencies_closure(modules, "b")
    with pytest.raises(ValidationError, match="depends on unknown module 'ghost'"):
        dependencies_closure(modules, "a")
    modules["ok"].manifest = None
    modules["ok"].problem = "ok (manifest.yaml): bad"
    with pytest.raises(ValidationError, match=r"^ok \(manifest\.yaml\): bad$"):
        dependencies_closure(modules, "ok")


def test_dependents_closure_in_uninstall_order() -> None:
    modules = virtual(
        {"base": [], "mid": ["base"], "left": ["mid"], "right": ["mid"], "top": ["left", "right"]}
    )
    modules["other"] = virtual({"other": []})["other"]
    assert dependents_closure(modules, "mid") == ["top", "left", "right", "mid"]
    assert dependents_closure(modules, "base") == ["top", "left", "right", "mid", "base"]
    assert dependents_closure(modules, "top") == ["top"]
    with pytest.raises(MissingError):
        dependents_closure(modules, "nope")


def test_dependents_closure_includes_broken_dependents() -> None:
    modules = virtual({"base": [], "bad": ["base", "ghost"], "loop1": ["base", "loop2"]})
    modules |= virtual({"loop2": ["loop1"]})
    resolve_dependencies(modules)
    assert not modules["bad"].healthy and not modules["loop1"].healthy
    assert dependents_closure(modules, "base") == ["bad", "loop1", "loop2", "base"]


# --- property: dependencies always come first ------------------------------------------------

identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True)


@st.composite
def dags(draw: st.DrawFn) -> dict[str, list[str]]:
    """A random DAG: each module depends only on modules drawn before it."""
    names = draw(st.lists(identifiers, min_size=1, max_size=14, unique=True))
    graph: dict[str, list[str]] = {}
    for index, name in enumerate(names):
        graph[name] = draw(st.lists(st.sampled_from(names[:index]), unique=True)) if index else []
    order = draw(st.permutations(names))  # the dict order must not matter
    return {name: graph[name] for name in order}


@settings(max_examples=200, deadline=None)
@given(dags())
def test_dependency_order_puts_dependencies_first(graph: dict[str, list[str]]) -> None:
    modules = virtual(graph)
    order = dependency_order(modules)

    assert sorted(order) == sorted(graph)
    position = {name: index for index, name in enumerate(order)}
    for name, deps in graph.items():
        assert all(position[dep] < position[name] for dep in deps)
    assert dependency_order(virtual(dict(sorted(graph.items())))) == order  # stable

    for name in graph:
        install = dependencies_closure(modules, name)
        assert install[-1] == name
        assert install == [n for n in order if n in set(install)]
        uninstall = dependents_closure(modules, name)
        assert uninstall[-1] == name
        where = {n: i for i, n in enumerate(uninstall)}
        for dependent in uninstall:
            for dep in graph[dependent]:
                if dep in where:
                    assert where[dependent] < where[dep]
