"""PayPal: OAuth2 credentials, connection check and sync of the transaction history."""

from . import models  # noqa: F401
