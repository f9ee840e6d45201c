"""Where ffdesk keeps its files: database, logs (platformdirs) and the shipped modules."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ffdesk"
REPO_MODULES = Path(__file__).resolve().parent.parent / "modules"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


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
