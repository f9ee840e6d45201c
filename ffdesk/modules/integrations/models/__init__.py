"""Models of the integrations backbone."""

from . import integration, mapper, sync_state  # noqa: F401
