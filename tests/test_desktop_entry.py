"""Desktop integration: the launcher, AppStream metainfo and icons, valid and installable."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ffdesk.desktop_entry import APP_ID, DESKTOP, HICOLOR, ICON_SIZES, RESOURCES, exec_argument

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DESKTOP = DESKTOP / f"{APP_ID}.desktop"
SHIPPED_METAINFO = DESKTOP / f"{APP_ID}.metainfo.xml"
# CI installs appstream and desktop-file-utils: there the validators must run, never skip.
REQUIRED = os.environ.get("FFDESK_REQUIRE_DESKTOP_VALIDATORS") == "1"
QT = ("PySide6", "shiboken6", "qasync")


def validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{name} is not installed (FFDESK_REQUIRE_DESKTOP_VALIDATORS=1)")
        pytest.skip(f"{name} is not installed")
    return path


def entries(text: str) -> dict[str, str]:
    """The [Desktop Entry] keys of a desktop file."""
    lines = [line for line in text.splitlines() if "=" in line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def exec_arguments(value: str) -> list[str]:
    """An Exec value back to its arguments, as the Desktop Entry spec reads it."""
    text = value.replace("\\\\", "\\")  # the string escaping of every desktop-file value
    arguments: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for ch in text:
        if escaped:
            current.append(ch)  # type: ignore[union-attr]
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current = current if current is not None else []
        elif ch == " " and not quoted:
            if current is not None:
                arguments.append("".join(current))
            current = None
        else:
            current = [*(current or []), ch]
    if current is not None:
        arguments.append("".join(current))
    return arguments


def run_ffdesk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ffdesk ARGS` as a user runs it, reporting whether Qt was imported on the way."""
    code = (
        "import sys; from ffdesk.__main__ import main; sys.argv[1:] = sys.argv[2:]; "
        "code = main(); "
        f"qt = sorted({{m.split('.')[0] for m in sys.modules}} & {set(QT)!r}); "
        "print('imported Qt:', qt, file=sys.stderr); sys.exit(code)"
    )
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-c", code, "ffdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_install_desktop_entry_puts_everything_in_the_xdg_data_folder(tmp_path: Path) -> None:
    result = run_ffdesk(tmp_path, "install-desktop-entry", "--json")
    assert result.returncode == 0, result.stderr
    assert "imported Qt: []" in result.stderr
    data = tmp_path / "data"
    installed = {Path(p) for p in json.loads(result.stdout)["installed"]}
    expected = {
        data / "applications" / f"{APP_ID}.desktop",
        data / "metainfo" / f"{APP_ID}.metainfo.xml",
        data / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg",
        *(data / f"icons/hicolor/{s}x{s}/apps/{APP_ID}.png" for s in ICON_SIZES),
    }
    assert installed == expected
    assert all(path.is_file() for path in expected)
    assert not (tmp_path / "home").exists()  # nothing went to ~/.local/share

    desktop = entries((data / "applications" / f"{APP_ID}.desktop").read_text())
    assert exec_arguments(desktop["Exec"]) == [sys.executable, "-m", "ffdesk"]
    assert desktop["Icon"] == APP_ID


def test_the_installed_launcher_starts_this_ffdesk(tmp_path: Path) -> None:
    assert run_ffdesk(tmp_path, "install-desktop-entry").returncode == 0
    desktop = entries((tmp_path / "data/applications" / f"{APP_ID}.desktop").read_text())
    command = exec_arguments(desktop["Exec"])
    database = f"sqlite:///{tmp_path}/ffdesk.db"
    result = subprocess.run(
        [*command, "modules", "list", "--database", database, "--json"],
        cwd=tmp_path,  # not the checkout: the launcher must not depend on the folder
        env={**os.environ, "PYTHONPATH": str(ROOT), "FFDESK_LOG_DIR": str(tmp_path / "logs")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "payment_stripe" in result.stdout


def test_remove_takes_the_entry_out_again(tmp_path: Path) -> None:
    assert run_ffdesk(tmp_path, "install-desktop-entry").returncode == 0
    unrelated = tmp_path / "data" / "applications" / "other.desktop"
    unrelated.write_text("[Desktop Entry]\n")
    result = run_ffdesk(tmp_path, "install-desktop-entry", "--remove")
    assert result.returncode == 0, result.stderr
    assert "Removed ffdesk's menu entry" in result.stdout
    left = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert left == [unrelated]


def test_an_unwritable_data_folder_is_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the folder should be")
    result = run_ffdesk(tmp_path, "install-desktop-entry")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Cannot write to {tmp_path / 'data'}: ")
    assert "Error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "value",
    ["/usr/bin/python3", "/home/ann/my apps/python", '/opt/a"b$c`d\\e/python'],
)
def test_exec_arguments_survive_quoting(value: str) -> None:
    assert exec_arguments(exec_argument(value)) == [value]


def test_desktop_file_and_metainfo_name_the_same_application() -> None:
    desktop = entries(SHIPPED_DESKTOP.read_text())
    metainfo = ET.parse(SHIPPED_METAINFO).getroot()
    assert metainfo.findtext("id") == APP_ID
    assert metainfo.findtext("launchable") == f"{APP_ID}.desktop"
    assert metainfo.findtext("icon") == desktop["Icon"] == APP_ID
    assert metainfo.findtext("name") == desktop["Name"] == "ffdesk"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_the_icon_comes_in_the_usual_hicolor_sizes() -> None:
    for size in ICON_SIZES:
        assert png_size(HICOLOR / f"{size}x{size}/apps/{APP_ID}.png") == (size, size)
    scalable = HICOLOR / f"scalable/apps/{APP_ID}.svg"
    assert scalable.read_bytes() == (RESOURCES / "icons" / "app.svg").read_bytes()
    assert {16, 32, 48, 64, 128, 256} <= set(ICON_SIZES)


def test_metainfo_passes_appstream_validation() -> None:
    appstreamcli = validator("appstreamcli")
    result = subprocess.run(
        [appstreamcli, "validate", "--no-net", "--pedantic", str(SHIPPED_METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_files_pass_desktop_file_validate(tmp_path: Path) -> None:
    validate = validator("desktop-file-validate")
    assert run_ffdesk(tmp_path, "install-desktop-entry").returncode == 0
    installed = tmp_path / "data/applications" / f"{APP_ID}.desktop"
    for path in (SHIPPED_DESKTOP, installed):
        result = subprocess.run([validate, str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout
