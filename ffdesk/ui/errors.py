"""How an exception reaches the user: plain words for their mistakes, "Details" for bugs."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ffdesk.engine.errors import UserError
from ffdesk.redaction import redact

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = QT_TRANSLATE_NOOP(
    "Errors", "Something went wrong. The details were written to the log file."
)


@dataclass(frozen=True)
class ErrorReport:
    """What to show for an exception: one plain sentence, and a traceback only for bugs."""

    message: str
    details: str | None = None

    @property
    def is_bug(self) -> bool:
        return self.details is not None


def report_error(exc: BaseException, action: str = "") -> ErrorReport:
    """UserError and provider errors become their message; anything else is logged as a bug."""
    from ffdesk.sync.errors import ProviderError  # not at import: the window starts without it

    if isinstance(exc, (UserError, ProviderError)):
        return ErrorReport(redact(str(exc)))
    details = redact("".join(traceback.format_exception(exc)))
    log.error("unexpected error%s:\n%s", f" while {action}" if action else "", details)
    return ErrorReport(QCoreApplication.translate("Errors", SOMETHING_WENT_WRONG), details)
