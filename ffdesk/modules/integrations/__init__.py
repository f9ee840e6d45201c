"""The integrations backbone: Integration, IntegrationMapper and their form view."""

from . import models  # noqa: F401
