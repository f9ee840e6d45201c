"""Messaging backbone: Message."""

from . import models  # noqa: F401
