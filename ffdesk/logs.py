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


class ConsoleFormatter(logging.Formatter):
    """One line per event for journald and `docker logs`: under systemd (JOURNAL_STREAM set)
    a `<N>` priority prefix and no time (journald stamps it); elsewhere an ISO time in UTC.
    A traceback stays on continuation lines that start with the same prefix."""

    PRIORITY = {"CRITICAL": 2, "ERROR": 3, "WARNING": 4, "INFO": 6, "DEBUG": 7}

    def __init__(self, journald: bool) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        import time

        text = super().format(record)
        if self.journald:
            prefix = f"<{self.PRIORITY.get(record.levelname, 6)}>"
            head = f"{prefix}{record.name}: "
        else:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
            prefix = f"{stamp} {record.levelname}"
            head = f"{prefix} {record.name}: "
        first, *rest = text.splitlines() or [""]
        return "\n".join([head + first, *(f"{prefix}   {line}" for line in rest)])

    def formatMessage(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def add_console_handler(stream: object = None) -> logging.Handler:
    """Also log to standard output (the background scheduler), secrets masked."""
    import sys

    handler = logging.StreamHandler(stream or sys.stdout)  # type: ignore[arg-type]
    handler.setFormatter(ConsoleFormatter(journald=bool(os.environ.get("JOURNAL_STREAM"))))
    handler.addFilter(RedactingFilter())
    logging.getLogger().addHandler(handler)
    return handler
