"""Models of the integrations backbone."""

from . import integration, mapper  # noqa: F401
