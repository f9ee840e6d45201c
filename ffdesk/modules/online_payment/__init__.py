"""Online payment backbone: PaymentTransaction."""

from . import models  # noqa: F401
