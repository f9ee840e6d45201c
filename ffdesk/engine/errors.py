"""Errors a module author raises or catches: the user's mistakes versus missing records."""

from __future__ import annotations


class UserError(Exception):
    """The user asked for something that cannot be done; shown as a short message."""

    def __init__(
        self, message: str, field: str | None = None, problems: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The field (or command-line argument) the message is about, when there is one.
        self.field = field
        #: Every field the message is about, each with its own sentence (a form marks them).
        self.problems: dict[str, str] = dict(problems or {})

    def __str__(self) -> str:
        return self.message


class ValidationError(UserError):
    """A value, expression or definition is not valid; the message says which and why."""


class MissingError(UserError):
    """A record that was asked for does not exist (any more)."""
