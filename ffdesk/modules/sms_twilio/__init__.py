"""Twilio: credentials, connection check, sending queued SMS and following their statuses."""

from . import models  # noqa: F401
