"""Contacts: the people and companies that integrations push to providers."""

from . import models  # noqa: F401
