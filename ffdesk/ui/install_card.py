"""What a module that is not installed offers: its logo, what it does, what installing it
also installs, and Install (in place of a form that cannot be used yet)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ffdesk.ui.icons import IconCache
from ffdesk.ui.names import join_names
from ffdesk.ui.style import theme

LOGO = 72


class InstallCard(QFrame):
    """A not-installed module as a card. Emits `install_requested()`."""

    install_requested = Signal()

    def __init__(self, icons: IconCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("installCard")
        self.icons = icons
        self.logo = QLabel()
        self.logo.setFixedSize(LOGO, LOGO)
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        tile = theme().logo_tile
        self.logo.setStyleSheet(f"background: {tile}; border-radius: 10px;" if tile else "")
        self.title = QLabel()
        self.title.setObjectName("paneTitle")
        self.description = QLabel()
        self.description.setObjectName("paneDescription")
        self.description.setWordWrap(True)
        self.also = QLabel()
        self.also.setObjectName("installAlso")
        self.also.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("fieldError")
        self.problem.setWordWrap(True)
        self.install_button = QPushButton()
        self.install_button.setObjectName("cardInstallButton")
        self.install_button.setProperty("primary", True)
        self.install_button.clicked.connect(self.install_requested)

        text = QVBoxLayout()
        text.setSpacing(8)
        text.addWidget(self.title)
        text.addWidget(self.description)
        text.addWidget(self.also)
        text.addWidget(self.problem)
        buttons = QHBoxLayout()
        buttons.addWidget(self.install_button)
        buttons.addStretch(1)
        text.addSpacing(6)
        text.addLayout(buttons)
        row = QHBoxLayout()
        row.setSpacing(18)
        row.addWidget(self.logo, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addLayout(row)
        outer.addStretch(1)

    def show_module(
        self,
        name: str,
        image: str | None,
        description: str,
        also: list[str],
        problem: str | None,
        busy: bool = False,
    ) -> None:
        self.logo.setPixmap(self.icons.pixmap(image, LOGO - 16, self.devicePixelRatioF()))
        self.title.setText(name)
        self.description.setText(description or self.tr("No description."))
        if also:
            self.also.setText(
                self.tr("Installing it also installs {modules}.").format(modules=join_names(also))
            )
        else:
            self.also.setText(self.tr("It needs no other module."))
        self.problem.setText(
            self.tr("It cannot be installed: {problem}").format(problem=problem) if problem else ""
        )
        self.problem.setVisible(bool(problem))
        self.install_button.setText(self.tr("I&nstall {name}").format(name=name))
        self.install_button.setEnabled(problem is None and not busy)
