"""Metadata fit for a package index: ranges in pyproject.toml, the tested pins in step with them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import ffdesk

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(*files: str) -> dict[str, str]:
    """name -> exact version from the lock files (requirements*.txt), `-r` lines skipped."""
    found: dict[str, str] = {}
    for name in files:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            requirement = Requirement(line)
            [spec] = requirement.specifier
            assert spec.operator == "==", f"{name}: {line} is not an exact pin"
            key = canonicalize_name(requirement.name)
            assert key not in found, f"{requirement.name} is pinned twice"
            found[key] = spec.version
    return found


def test_every_dependency_is_a_range_that_its_pin_satisfies() -> None:
    runtime = pins("requirements.txt")
    for text in PYPROJECT["dependencies"]:
        requirement = Requirement(text)
        assert not any(s.operator == "==" for s in requirement.specifier), text
        pinned = runtime.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} has no pin in requirements.txt"
        assert requirement.specifier.contains(pinned), f"{pinned} is outside {text}"


def test_every_extra_is_pinned_in_the_dev_lock() -> None:
    everything = pins("requirements.txt", "requirements-dev.txt")
    extras = PYPROJECT["optional-dependencies"]
    assert set(extras) == {"postgresql", "dev"}
    assert extras["postgresql"] == ["psycopg[binary]>=3.1,<4"]
    for text in [*extras["postgresql"], *extras["dev"]]:
        requirement = Requirement(text)
        pinned = everything.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} has no pin in requirements-dev.txt"
        assert requirement.specifier.contains(pinned), f"{pinned} is outside {text}"


def test_licence_version_and_classifiers() -> None:
    assert PYPROJECT["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert PYPROJECT["dynamic"] == ["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", ffdesk.__version__)
    assert "Programming Language :: Python :: 3.11" in PYPROJECT["classifiers"]
    # PEP 639: the SPDX expression replaces licence classifiers (setuptools refuses both).
    assert not any(c.startswith("License ::") for c in PYPROJECT["classifiers"])
