"""Lists of names in a sentence ("Contacts, Messaging and Online Payment"), translated."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication


def join_names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C" in the user's language."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return QCoreApplication.translate("Names", "{first} and {last}").format(
        first=QCoreApplication.translate("Names", ", ").join(names[:-1]), last=names[-1]
    )
