"""Models of the integrations backbone."""

from . import integration, mapper, schedule, sync_state  # noqa: F401
