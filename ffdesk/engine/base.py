"""The public API that integration modules write against: `from ffdesk.engine.base import *`."""

from __future__ import annotations

from datetime import datetime

from ffdesk.engine.env import env_ctx, get_model
from ffdesk.engine.errors import MissingError, UserError, ValidationError
from ffdesk.engine.fields import (
    JSON,
    Boolean,
    Char,
    Date,
    Datetime,
    File,
    Float,
    Integer,
    ManyToOne,
    Monetary,
    OneToMany,
    Phone,
    Selection,
    Text,
)
from ffdesk.engine.model import Model
from ffdesk.engine.q import D, Q

__all__ = [
    "JSON",
    "Boolean",
    "Char",
    "D",
    "Date",
    "Datetime",
    "File",
    "Float",
    "Integer",
    "ManyToOne",
    "MissingError",
    "Model",
    "Monetary",
    "OneToMany",
    "Phone",
    "Q",
    "Selection",
    "Text",
    "UserError",
    "ValidationError",
    "datetime",
    "env_ctx",
    "get_model",
]
