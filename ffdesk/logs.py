"""Logging set-up: a rotating log file with every known secret masked."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from ffdesk.redaction import RedactingFilter

_configured: Path | None = None


def log_file() -> Path:
    """FFDESK_LOG_DIR/ffdesk.log, else the user log folder of platformdirs."""
    folder = os.environ.get("FFDESK_LOG_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
    else:
        from ffdesk.paths import log_dir

        path = log_dir()
    return path / "ffdesk.log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to the file (idempotent); returns its path."""
    global _configured
    path = log_file()
    if _configured == path:
        return path
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs full URLs (query strings may hold tokens) at INFO; ours are redacted already.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _configured = path
    return path
