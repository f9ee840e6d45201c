"""The Shipment model and UPS's extension of the Integration model."""

from . import integration, shipment  # noqa: F401
