"""UPS: OAuth2 credentials, connection check and tracking of shipments."""

from . import models  # noqa: F401
