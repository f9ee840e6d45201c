"""Help > About ffdesk: version, licence, links, and the Qt and Python it runs on."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ffdesk import __version__
from ffdesk.ui.icons import app_icon

HOMEPAGE = "https://fullfinity.io"  # as pyproject.toml's project.urls
SOURCE = "https://github.com/fullfinity/ffdesk"
LICENCE = "MIT"


class AboutDialog(QDialog):
    """Says which ffdesk this is, under which licence, and where to read more."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About ffdesk"))
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel(self.tr("ffdesk {version}").format(version=__version__))
        title.setObjectName("paneTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(
            self.tr(
                "Sets up and syncs the payment, SMS and shipping integrations of Fullfinity "
                "ERP.<br><br>Licensed under the {licence} licence.<br>"
                '<a href="{homepage}">{homepage}</a><br><a href="{source}">Source code</a>'
                "<br><br>Qt {qt}, PySide6 {pyside}, Python {python}"
            ).format(
                licence=LICENCE,
                homepage=HOMEPAGE,
                source=SOURCE,
                qt=qVersion(),
                pyside=pyside_version,
                python=platform.python_version(),
            )
        )
        self.text.setObjectName("aboutText")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setOpenExternalLinks(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
