"""A missing X11 library is named with its package before Qt aborts with a wrong reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ffdesk.ui import platform_check
from ffdesk.ui.platform_check import (
    describe_missing,
    find_xcb_plugin,
    missing_libraries,
    package_for,
    uses_xcb,
    xcb_problem,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is Linux here")
# Same-length stand-ins, so the copied plugin's table of needed libraries stays valid.
RENAMED = {
    b"libxcb-icccm.so.4\0": b"libxcb-icccq.so.4\0",
    b"libxcb-keysyms.so.1\0": b"libxcb-keysymq.so.1\0",
}


def real_plugin() -> Path:
    plugin = find_xcb_plugin({})
    assert plugin is not None, "PySide6 ships its xcb plugin"
    return plugin


@pytest.fixture
def crippled_plugins(tmp_path: Path) -> Path:
    """A copy of PySide6's xcb plugin that needs two libraries no system has.

    It sits where Qt would find it through QT_QPA_PLATFORM_PLUGIN_PATH, beside a link to
    PySide6's own Qt libraries (the plugin finds them through its RUNPATH $ORIGIN/../../lib).
    """
    real = real_plugin()
    qt = tmp_path / "Qt"
    platforms = qt / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (qt / "lib").symlink_to(real.parents[2] / "lib", target_is_directory=True)
    data = real.read_bytes()
    for old, new in RENAMED.items():
        assert old in data
        data = data.replace(old, new)
    (platforms / real.name).write_bytes(data)
    return platforms


def test_the_installed_plugin_loads_here() -> None:
    # This machine has every library (CI installs them); the check then says nothing.
    assert missing_libraries(real_plugin()) is None
    assert xcb_problem({"DISPLAY": ":0"}, "linux") is None


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd (libc-bin)")
def test_a_plugin_whose_libraries_are_missing_names_them_and_their_packages(
    crippled_plugins: Path,
) -> None:
    environ = {"DISPLAY": ":0", "QT_QPA_PLATFORM_PLUGIN_PATH": str(crippled_plugins)}
    message = xcb_problem(environ, "linux")
    assert message is not None
    # Both named (a machine that also lacks the real ones would list those as well).
    assert "libxcb-icccq.so.4" in message and "libxcb-keysymq.so.1" in message
    assert "sudo apt-get install " in message
    assert "libxcb-icccq4" in message and "libxcb-keysymq1" in message
    assert "xcb-cursor" not in message


def test_without_ldd_the_loaders_own_reason_still_names_a_library(
    crippled_plugins: Path,
) -> None:
    plugin = crippled_plugins / "libqxcb.so"
    missing = missing_libraries(plugin, resolve=lambda _path: [])
    assert missing in (["libxcb-icccq.so.4"], ["libxcb-keysymq.so.1"])


def test_the_window_exits_1_with_one_sentence_before_qt_says_anything(
    crippled_plugins: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(
        DISPLAY=":97",  # no X server needed: the check runs before Qt would connect
        QT_QPA_PLATFORM_PLUGIN_PATH=str(crippled_plugins),
        FFDESK_DATABASE_URL=f"sqlite:///{tmp_path}/x.db",
        FFDESK_LOG_DIR=str(tmp_path / "logs"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "ffdesk"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "libxcb-icccq.so.4" in lines[0] and "apt-get install" in lines[0]
    assert "xcb-cursor0" not in done.stderr and "qt." not in done.stderr


def test_the_usual_debian_libraries_map_to_their_packages() -> None:
    assert package_for("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert package_for("libxcb-keysyms.so.1") == "libxcb-keysyms1"
    assert package_for("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    # Not in the table: Debian's naming rule for a library package.
    assert package_for("libxcb-xinput.so.0") == "libxcb-xinput0"
    assert package_for("libfoo2.so.5") == "libfoo2-5"
    sentence = describe_missing(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert sentence.count(".") >= 2 and sentence.endswith("`.")
    assert "libxcb-icccm4 libxcb-keysyms1" in sentence


def test_only_an_x11_start_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert uses_xcb({"DISPLAY": ":0"}, "linux")
    assert uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({}, "linux")
    assert not uses_xcb({"DISPLAY": ":0"}, "darwin")
    tried: list[str] = []
    monkeypatch.setattr(platform_check, "find_xcb_plugin", lambda _env: Path("/nowhere.so"))
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", load=tried.append) is None
    assert tried == []  # nothing is loaded when Qt will not use xcb


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd (libc-bin)")
def test_the_readme_lists_every_package_the_xcb_plugin_needs() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = {word.strip("`.,;()") for word in readme.split()}
    output = subprocess.run(
        ["ldd", str(real_plugin())], capture_output=True, text=True, check=True
    ).stdout
    needed = {line.split()[0] for line in output.splitlines() if "=>" in line}
    packages = {platform_check.PACKAGES[name] for name in needed if name in platform_check.PACKAGES}
    assert {"libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0"} <= packages
    missing = packages - listed
    assert not missing, f"README.md does not list {sorted(missing)}"
