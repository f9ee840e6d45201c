"""Adyen's extension of the Integration model."""

from . import integration  # noqa: F401
