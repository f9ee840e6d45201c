"""Models of the integrations backbone."""

from . import integration, mapper, schedule  # noqa: F401
