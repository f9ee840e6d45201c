"""What the window showed when it last settled, kept in a small file to draw the next start.

The next start paints the catalogue and the remembered integration from this file while the
engine is imported and the database is opened and checked; the real data then replaces it. So
the file only ever has to be right enough for half a second: anything unreadable, of another
version or of another database is ignored. One file per database (named by a hash of its URL
without the password); it holds the database's own id, so a database replaced at the same URL
is never drawn from the old one's file. No secrets: secret fields appear as "set" or empty.
No Qt and no engine here (it runs before either is imported).
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any, NamedTuple

from ffdesk.services.catalogue_entry import CatalogueEntry

VERSION = 2  # 2: hints, read-only fields, the pane's tab titles and schedule note
FOLDER = "window-cache"
IMAGES = "images.bin"  # logos and glyphs as rendered (ffdesk.ui.rendered_images), all databases


# NamedTuples, not dataclasses: these are made before the first paint (see CatalogueEntry).


class FormRow(NamedTuple):
    """A field of the shown form as it was drawn: label, widget, value as text, required,
    read-only, and the hint shown under it."""

    name: str
    label: str
    widget: str
    text: str
    required: bool = False
    group: str = ""
    readonly: bool = False
    hint: str = ""


class PaneSnapshot(NamedTuple):
    """The integration the pane showed: its header and the visible fields of its form."""

    identifier: str
    name: str
    image: str | None
    state: str
    description: str
    meta: str
    form: tuple[FormRow, ...] = ()
    #: The bottom tabs' titles with their counts ("Sync history (3)").
    tabs: tuple[str, ...] = ()
    #: When it syncs by itself ("Syncs every hour while ffdesk runs; next …"), if shown.
    note: str = ""


class FirstScreen(NamedTuple):
    """Everything the window draws before the database is open."""

    database_id: str
    company: str
    entries: list[CatalogueEntry]
    pane: PaneSnapshot | None = None
    #: The database's URL without its password (the file name is only a short hash of it).
    database: str = ""


def without_password(database_url: str) -> str:
    """`scheme://user:password@host/db` -> `scheme://user@host/db` (other URLs unchanged)."""
    scheme, separator, rest = database_url.partition("://")
    authority, slash, path = rest.partition("/")
    if not separator or "@" not in authority:
        return database_url
    credentials, host = authority.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}@{host}{slash}{path}"


def cache_file(database_url: str, folder: Path) -> Path:
    """The cache file of a database in `folder`, named by a hash of its URL without password.

    A short checksum (hashlib costs 10 ms to import before the first paint); the file holds
    the URL itself, so two databases whose names collide never read each other's file.
    """
    digest = zlib.crc32(without_password(database_url).encode())
    return folder / FOLDER / f"{digest:08x}.json"


def read_first_screen(path: Path, database_url: str | None = None) -> FirstScreen | None:
    """The file's content, or None when it is missing, damaged, of another version or (when
    `database_url` is given) of another database."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        if database_url is not None and data.get("database") != without_password(database_url):
            return None
        entries = [_entry(item) for item in data["entries"]]
        pane = data.get("pane")
        return FirstScreen(
            database_id=_text(data["database_id"]),
            company=_text(data["company"]),
            entries=entries,
            pane=_pane(pane) if pane is not None else None,
            database=_text(data.get("database", "")),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        _log().info("ignoring the window cache %s: %s", path, exc)
        return None


def write_first_screen(path: Path, screen: FirstScreen) -> None:
    """Replace the file atomically (a crash mid-write leaves the old file or none)."""
    pane = screen.pane
    data = {
        "version": VERSION,
        **screen._asdict(),
        "entries": [entry._asdict() for entry in screen.entries],
        "pane": None
        if pane is None
        else {**pane._asdict(), "form": [row._asdict() for row in pane.form]},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:  # only a faster next start is lost
        _log().warning("cannot write the window cache %s: %s", path, exc)


def forget_first_screen(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _log() -> Any:
    import logging  # only when something goes wrong: not before the first paint

    return logging.getLogger(__name__)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _entry(item: dict[str, Any]) -> CatalogueEntry:
    return CatalogueEntry(
        identifier=_text(item["identifier"]),
        name=_text(item["name"]),
        description=_text(item["description"]),
        category=_text(item["category"]),
        image=_optional_text(item["image"]),
        state=_text(item["state"]),
        problem=_optional_text(item.get("problem")),
    )


def _pane(item: dict[str, Any]) -> PaneSnapshot:
    return PaneSnapshot(
        identifier=_text(item["identifier"]),
        name=_text(item["name"]),
        image=_optional_text(item["image"]),
        state=_text(item["state"]),
        description=_text(item["description"]),
        meta=_text(item["meta"]),
        tabs=tuple(_text(title) for title in item.get("tabs", ())),
        note=_text(item.get("note", "")),
        form=tuple(
            FormRow(
                name=_text(row["name"]),
                label=_text(row["label"]),
                widget=_text(row["widget"]),
                text=_text(row["text"]),
                required=bool(row.get("required", False)),
                group=_text(row.get("group", "")),
                readonly=bool(row.get("readonly", False)),
                hint=_text(row.get("hint", "")),
            )
            for row in item.get("form", [])
        ),
    )
