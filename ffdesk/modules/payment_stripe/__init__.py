"""Stripe: credentials, connection check and sync of customers and payment intents."""

from . import models  # noqa: F401
