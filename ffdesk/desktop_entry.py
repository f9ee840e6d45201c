"""`ffdesk install-desktop-entry`: the launcher, AppStream metainfo and icons, for this user.

Installed into the XDG data folder (`$XDG_DATA_HOME`, else ~/.local/share) where desktops look
for applications; no Qt is imported.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

# ffdesk/paths.RESOURCES, without platformdirs: the window imports APP_ID before its first paint.
RESOURCES = Path(__file__).resolve().parent / "resources"
APP_ID = "io.fullfinity.ffdesk"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
DESKTOP = RESOURCES / "desktop"
HICOLOR = RESOURCES / "icons" / "hicolor"
# Characters that make a desktop-file Exec argument need quotes (Desktop Entry spec, "Exec").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home(environ: Mapping[str, str] = os.environ) -> Path:
    """$XDG_DATA_HOME if it is an absolute path, else ~/.local/share (XDG Base Directory)."""
    configured = environ.get("XDG_DATA_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured)
    return Path.home() / ".local" / "share"


def exec_argument(value: str) -> str:
    """One argument of an Exec line, quoted as the Desktop Entry spec asks, then escaped."""
    if value and not _RESERVED.intersection(value):
        quoted = value
    else:
        inner = "".join("\\" + ch if ch in '"`$\\' else ch for ch in value)
        quoted = f'"{inner}"'
    return quoted.replace("\\", "\\\\")  # the desktop file's own string escaping


def launch_command() -> str:
    """This interpreter running ffdesk: works from a virtual environment that is not on PATH."""
    return " ".join(exec_argument(arg) for arg in (sys.executable, "-m", "ffdesk"))


def desktop_file(command: str) -> str:
    """The shipped .desktop file with `command` as what it starts."""
    lines = (DESKTOP / f"{APP_ID}.desktop").read_text(encoding="utf-8").splitlines()
    return "\n".join(f"Exec={command}" if line.startswith("Exec=") else line for line in lines)


def targets(home: Path) -> dict[Path, Path | None]:
    """Where each file goes: installed path -> shipped source (None: the written .desktop)."""
    files: dict[Path, Path | None] = {
        home / "applications" / f"{APP_ID}.desktop": None,
        home / "metainfo" / f"{APP_ID}.metainfo.xml": DESKTOP / f"{APP_ID}.metainfo.xml",
    }
    icons = home / "icons" / "hicolor"
    for size in ICON_SIZES:
        name = Path(f"{size}x{size}") / "apps" / f"{APP_ID}.png"
        files[icons / name] = HICOLOR / name
    scalable = Path("scalable") / "apps" / f"{APP_ID}.svg"
    files[icons / scalable] = HICOLOR / scalable
    return files


def install(home: Path | None = None, command: str | None = None) -> list[Path]:
    """Install (or refresh) the entry; returns the files written."""
    home = home if home is not None else data_home()
    written = []
    for target, source in targets(home).items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            target.write_text(desktop_file(command or launch_command()) + "\n", encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(target)
    return written


def remove(home: Path | None = None) -> list[Path]:
    """Remove what `install` wrote; returns the files that were there."""
    home = home if home is not None else data_home()
    removed = []
    for target in targets(home):
        if target.is_file():
            target.unlink()
            removed.append(target)
    return removed
