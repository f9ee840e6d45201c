"""A small integration module written into a temporary folder: one field of every widget kind,
and a field whose visibility and requiredness depend on another field's unsaved value."""

from __future__ import annotations

from pathlib import Path

MANIFEST = """\
name: Demo Pay
identifier: payment_demo
version: '1.0'
category: module_category_integrations
integration_category: Online Payment
description: A demo gateway with a field of every kind.
dependencies:
- online_payment
image: /static/img/logo.svg
static_paths:
- img
"""

MODELS = """\
from ffdesk.engine.base import *


class DemoIntegration(Model):
    __inherit__ = "Integration"

    demo_mode = Selection(choices=["Test", "Live"], default="Test", description="Mode",
                          hint="Live moves real money.")
    demo_live_key = Char(max_length=64, description="Live Key", company_scoped=True)
    demo_notes = Text(description="Notes")
    demo_limit = Integer(description="Daily Limit")
    demo_start = Datetime(description="Start On")
    demo_logo = File(description="Receipt Logo")
"""

VIEW = """\
- data_type: UiView
  identifier: integration_form_view
  __inherit__: integration_form_view
  arch:
  - type: fieldset
    title: Demo settings
    anchor: demo
    position: after:general
    content:
    - type: field
      name: demo_mode
      properties:
        visible: Q(module__identifier__eq='payment_demo')
    - type: field
      name: demo_live_key
      properties:
        widget: Password
        visible: Q(module__identifier__eq='payment_demo') & Q(demo_mode__eq='Live')
        required: Q(demo_mode__eq='Live')
    - type: field
      name: demo_notes
      properties:
        visible: Q(module__identifier__eq='payment_demo')
    - type: field
      name: demo_limit
      properties:
        visible: Q(module__identifier__eq='payment_demo')
        readonly: Q(demo_mode__eq='Live')
    - type: field
      name: demo_start
      properties:
        visible: Q(module__identifier__eq='payment_demo')
    - type: field
      name: demo_logo
      properties:
        visible: Q(module__identifier__eq='payment_demo')
"""

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    '<rect width="24" height="24" rx="5" fill="#0EA5E9"/></svg>'
)


def write_demo_module(root: Path) -> Path:
    """Create `root/payment_demo` and return `root` (a folder for modules_path)."""
    folder = root / "payment_demo"
    (folder / "models").mkdir(parents=True)
    (folder / "views").mkdir()
    (folder / "static" / "img").mkdir(parents=True)
    (folder / "manifest.yaml").write_text(MANIFEST)
    (folder / "__init__.py").write_text("from . import models  # noqa: F401\n")
    (folder / "models" / "__init__.py").write_text(MODELS)
    (folder / "views" / "form.yaml").write_text(VIEW)
    (folder / "static" / "img" / "logo.svg").write_text(LOGO)
    return root
