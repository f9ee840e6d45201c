"""The integration pane's measures, shared by the real pane and the preview the first paint draws.

Both lay themselves out from these numbers (and build the form's body and groups with the two
functions below), so swapping the preview for the real pane changes what the fields say, never
where they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from ffdesk.ui.style import theme

CONTENT_MARGINS = (20, 18, 20, 14)  # left, top, right, bottom
CONTENT_SPACING = 12
# The form above, the tabs (history, records, ...) below.
SPLITTER_SIZES = (480, 260)
SPLITTER_STRETCH = (2, 1)
SPLITTER_HANDLE = 10
TABLES_MIN_HEIGHT = 170  # the tabs below the form never get less
# The form: its body's margins, and the legend/Discard/Save row's.
FORM_BODY_MARGINS = (0, 0, 8, 0)
FORM_BODY_SPACING = 4
FORM_BUTTONS_MARGINS = (0, 8, 8, 0)
FORM_HORIZONTAL_SPACING = 14
FORM_VERTICAL_SPACING = 8
FIELD_SPACING = 2  # between an editor, its error line and its hint
# A message bar's margins, and how many lines of text its slot keeps room for.
MESSAGE_MARGINS = (10, 8, 6, 8)
MESSAGE_LINES = 2
# The bottom tabs' titles (IntegrationPane's; counts are added once known).
TAB_TITLES = (
    QT_TRANSLATE_NOOP("IntegrationPane", "Sync history"),
    QT_TRANSLATE_NOOP("IntegrationPane", "Mapped records"),
    QT_TRANSLATE_NOOP("IntegrationPane", "Activity"),
    QT_TRANSLATE_NOOP("IntegrationPane", "Preview"),
    QT_TRANSLATE_NOOP("IntegrationPane", "Data"),
)


# The editors' own texts, which the preview shows too (ffdesk.ui.field_editors imports the
# engine, so they live here). English sources, shown translated in the "FieldEditor" context.
SECRET_SET = QT_TRANSLATE_NOOP("FieldEditor", "set — type to replace")
SECRET_REMOVED = QT_TRANSLATE_NOOP("FieldEditor", "removed when you save — type to replace")
SECRET_EMPTY = QT_TRANSLATE_NOOP("FieldEditor", "not set")
NEVER = QT_TRANSLATE_NOOP("FieldEditor", "Never")  # a read-only date that has no value
NONE_CHOICE = "—"  # "no value" in a field that can be typed in

LABEL_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def editor_text(text: str) -> str:
    """An editor's text, translated (editors are no QObjects: they share this context)."""
    return QCoreApplication.translate("FieldEditor", text)


def required_marker() -> str:
    """The "*" of a field needed to enable, in the theme's colour (rich text)."""
    return f'<span style="color:{theme().danger}">*</span>'


def field_label(label: str, required: bool) -> str:
    """A field's label as rich text: escaped, with the marker when it is required."""
    text = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"{text} {required_marker()}" if required else text


def align_labels(labels: Sequence[QLabel], metrics: QFontMetrics) -> None:
    """One label column for every group, so the fields line up across groups."""
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width + metrics.horizontalAdvance(" *") + 4)


def form_body() -> tuple[QWidget, QVBoxLayout, QScrollArea]:
    """The form's body (groups go before its last item, a stretch) in a frameless scroll area."""
    body = QWidget()
    body.setObjectName("formBody")
    layout = QVBoxLayout(body)
    layout.setContentsMargins(*FORM_BODY_MARGINS)
    layout.setSpacing(FORM_BODY_SPACING)
    layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(body)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    return body, layout, scroll


def form_group(title: str) -> tuple[QGroupBox, QFormLayout]:
    """A titled group of fields: labels right-aligned, fields growing to the width."""
    group = QGroupBox(title)
    layout = QFormLayout(group)
    layout.setLabelAlignment(LABEL_ALIGNMENT)
    layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    layout.setHorizontalSpacing(FORM_HORIZONTAL_SPACING)
    layout.setVerticalSpacing(FORM_VERTICAL_SPACING)
    return group, layout


def fitted_sizes(available: int, form_needs: int) -> list[int]:
    """The splitter's [form, tabs] heights: the form gets what it needs, the tabs the rest
    (never less than TABLES_MIN_HEIGHT)."""
    tables = max(TABLES_MIN_HEIGHT, available - form_needs)
    return [available - tables, tables]


def message_slot_height(line_spacing: int, line_width: int = 1) -> int:
    """The room a message bar keeps whether it shows or not (MESSAGE_LINES lines of text)."""
    top, bottom = MESSAGE_MARGINS[1], MESSAGE_MARGINS[3]
    return line_spacing * MESSAGE_LINES + top + bottom + 2 * line_width + 2


def text_area_height(line_spacing: int, readonly: bool) -> int:
    """A multi-line field: two lines when read-only (a sentence or two), four to type in."""
    return line_spacing * (2 if readonly else 4) + 14
