"""Before Qt starts on X11: can its xcb plugin load, and which system packages are missing.

Qt aborts with "xcb-cursor0 or libxcb-cursor0 is needed" whenever its xcb plugin cannot be
loaded, whatever library is really missing (libxcb-icccm4 or libxcb-keysyms1 on a minimal
Debian). This check loads the plugin first (Qt loads it anyway, so it costs nothing when it
works) and, when it cannot, names the missing libraries and the packages to install. No Qt here:
it runs before the QApplication exists.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

XCB_PLUGIN = Path("platforms") / "libqxcb.so"
#: Debian/Ubuntu package of each library the xcb plugin needs (and its sonames' own rule
#: otherwise: libfoo-bar.so.4 is in libfoo-bar4).
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_DLOPEN_MISSING = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")
_SONAME = re.compile(r"^(lib[\w.+-]*?)\.so\.([\d.]+)$")

#: Loads a shared library; raises OSError with the loader's reason when it cannot.
Loader = Callable[[str], object]
#: Lists the libraries a shared library needs that the loader cannot find.
Resolver = Callable[[Path], list[str]]


def uses_xcb(environ: Mapping[str, str], platform: str) -> bool:
    """Whether Qt will open its window through the xcb plugin (X11 on Linux)."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if chosen:
        return chosen == "xcb"
    # Unset: Qt prefers Wayland in a Wayland session and only falls back to xcb there.
    return not environ.get("WAYLAND_DISPLAY")


def plugin_folders(environ: Mapping[str, str]) -> list[Path]:
    """Where Qt looks for platform plugins: its environment variables, then PySide6's own."""
    folders = []
    if environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        folders.append(Path(environ["QT_QPA_PLATFORM_PLUGIN_PATH"]))
    for entry in environ.get("QT_PLUGIN_PATH", "").split(os.pathsep):
        if entry:
            folders.append(Path(entry) / XCB_PLUGIN.parent)
    spec = importlib.util.find_spec("PySide6")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folders.append(Path(location) / "Qt" / "plugins" / XCB_PLUGIN.parent)
    return folders


def find_xcb_plugin(environ: Mapping[str, str]) -> Path | None:
    for folder in plugin_folders(environ):
        candidate = folder / XCB_PLUGIN.name
        if candidate.is_file():
            return candidate
    return None


def ldd_missing(library: Path) -> list[str]:
    """The libraries `library` needs (directly or through others) that are not installed."""
    try:
        result = subprocess.run(
            ["ldd", str(library)], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return list(dict.fromkeys(_NOT_FOUND.findall(result.stdout)))


def missing_libraries(
    plugin: Path, load: Loader = ctypes.CDLL, resolve: Resolver = ldd_missing
) -> list[str] | None:
    """None when the plugin loads; else the libraries it lacks (at least the one named)."""
    try:
        load(str(plugin))
    except OSError as exc:
        missing = resolve(plugin)
        if not missing:
            named = _DLOPEN_MISSING.search(str(exc))
            missing = [named.group(1)] if named else []
        return missing
    return None


def package_for(library: str) -> str:
    """The Debian/Ubuntu package that ships a library (by its soname)."""
    known = PACKAGES.get(library)
    if known:
        return known
    match = _SONAME.match(library)
    if not match:
        return library
    stem, version = match.group(1).lower(), match.group(2).split(".")[0]
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"


def describe_missing(libraries: Sequence[str]) -> str:
    """One sentence: what is missing and the command that installs it."""
    packages = list(dict.fromkeys(package_for(name) for name in libraries))
    if not libraries:
        return (
            "ffdesk cannot open its window: Qt's X11 (xcb) platform plugin cannot be loaded; "
            "run `ffdesk doctor` or start with QT_DEBUG_PLUGINS=1 to see why."
        )
    return (
        f"ffdesk cannot open its window: Qt's X11 (xcb) platform plugin needs "
        f"{_join(list(libraries))}, which {'is' if len(libraries) == 1 else 'are'} not installed; "
        f"on Debian or Ubuntu install {'it' if len(packages) == 1 else 'them'} with "
        f"`sudo apt-get install {' '.join(packages)}`."
    )


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def xcb_problem(
    environ: Mapping[str, str],
    platform: str,
    load: Loader = ctypes.CDLL,
    resolve: Resolver = ldd_missing,
) -> str | None:
    """Why Qt's xcb plugin would not load here, in one sentence; None if it loads (or is
    not the platform Qt will use)."""
    if not uses_xcb(environ, platform):
        return None
    plugin = find_xcb_plugin(environ)
    if plugin is None:
        return None  # Qt says itself which plugins it has
    missing = missing_libraries(plugin, load, resolve)
    return None if missing is None else describe_missing(missing)
