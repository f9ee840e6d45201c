"""Mollie: credentials, connection check and sync of customers and payments."""

from . import models  # noqa: F401
