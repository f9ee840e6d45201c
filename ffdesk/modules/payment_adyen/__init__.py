"""Adyen: credentials and connection check (payments arrive through webhooks, nothing to pull)."""

from . import models  # noqa: F401
