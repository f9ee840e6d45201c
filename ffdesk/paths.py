"""Where ffdesk keeps its files: database and logs (platformdirs), shipped modules and resources."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ffdesk"
# Shipped with the package (wheel or checkout alike); an installed wheel is unpacked on disk,
# so the package is a real folder that discovery and the module loader can read. (Not through
# importlib.resources: the window imports this before its first paint, and that costs 10 ms.)
PACKAGE = Path(__file__).parent
SHIPPED_MODULES = PACKAGE / "modules"
RESOURCES = PACKAGE / "resources"


def data_dir() -> Path:
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    """FFDESK_DATABASE_URL, else a SQLite file in the user data folder."""
    configured = os.environ.get("FFDESK_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{data_dir() / 'ffdesk.db'}"
