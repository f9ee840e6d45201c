"""Loads the window's translation (and Qt's own, for standard buttons) for the user's locale."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

# ffdesk/paths.RESOURCES, without importing platformdirs before the first paint.
TRANSLATIONS = Path(__file__).resolve().parents[1] / "resources" / "translations"

_installed: list[QTranslator] = []  # QTranslator must outlive its installation


def install_translations(app: QCoreApplication, locale: QLocale | None = None) -> list[str]:
    """Install ffdesk's and Qt's translators for `locale` (the system's by default).

    Returns the catalogues that were found ("ffdesk", "qtbase"); English needs none.
    """
    remove_translations(app)
    locale = locale if locale is not None else QLocale.system()
    found: list[str] = []
    for name, folder in (
        ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        ("ffdesk", str(TRANSLATIONS)),
    ):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder):
            app.installTranslator(translator)
            _installed.append(translator)
            found.append(name)
    return found


def remove_translations(app: QCoreApplication) -> None:
    """Back to the English source texts (widgets made from now on)."""
    while _installed:
        app.removeTranslator(_installed.pop())
