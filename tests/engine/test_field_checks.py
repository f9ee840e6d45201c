"""field_problems: the form's required fields and a module's optional `check_credentials`, as
the form, Test and Enable all ask them; a module without the hook (the reference page's) and
a hook that fails change nothing else."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ffdesk.engine.errors import UserError
from ffdesk.engine.field_checks import field_problems
from ffdesk.services import integrations as actions
from tests.helpers.env import (
    FIXTURE_MODULES,
    Opened,
    OpenSystem,
    open_system_fixture,  # noqa: F401
    write_integration_module,
)

MODELS = """
from ffdesk.engine.base import *


class CheckedIntegration(Model):
    __inherit__ = "Integration"

    checked_key = Char(max_length=64, description="Key", company_scoped=True)
    checked_account = Char(max_length=64, description="Account")
    checked_note = Char(max_length=64, description="Note")

    def check_credentials(self):
        problems = super().check_credentials()
        if self.module_identifier() != "checked":
            return problems
        if self.checked_note == "boom":
            raise RuntimeError("a bug in the hook")
        key = (self.checked_key or "").strip()
        if key and not key.startswith("ck_"):
            problems["checked_key"] = "A Checked key starts with ck_."
        return problems
"""
OWN = "Q(module__identifier__eq='checked')"
VIEW = f"""
- data_type: UiView
  identifier: integration_form_view
  __inherit__: integration_form_view
  arch:
  - type: field
    name: checked_key
    position: after:enabled
    properties: {{visible: "{OWN}", required: true, help: Dashboard > Keys}}
  - type: field
    name: checked_account
    position: after:checked_key
    properties: {{visible: "{OWN}", required: true}}
  - type: field
    name: checked_note
    position: after:checked_account
    properties: {{visible: "{OWN}"}}
"""


@pytest.fixture
def opened(open_system: OpenSystem, tmp_path: Path) -> Opened:
    root = tmp_path / "checked_modules"
    write_integration_module(
        root, "checked", models=MODELS, files={"views/integration_form_view.yaml": VIEW}
    )
    handle = open_system(FIXTURE_MODULES, root)
    handle.install("checked")
    handle.install("my_service")
    return handle


def test_required_and_module_checks_together_and_while_typing(opened: Opened) -> None:
    record = opened.integration("checked")
    form = opened.form(record)
    assert {f.name: f.hint for f in form}["checked_key"] == "Dashboard > Keys"  # the view's
    assert field_problems(record, form) == {
        "checked_key": "Key is needed to enable Checked.",
        "checked_account": "Account is needed to enable Checked.",
    }
    assert field_problems(record, form, typed_only=True) == {}  # empty is not wrong yet
    record.checked_key = "sk_oops"
    assert field_problems(record, form, typed_only=True) == {
        "checked_key": "A Checked key starts with ck_."
    }
    assert field_problems(record, form, required=False) == {
        "checked_key": "A Checked key starts with ck_."
    }


def test_enable_names_every_field_and_test_sends_nothing(opened: Opened) -> None:
    record = opened.integration("checked")
    with pytest.raises(UserError) as caught:
        opened.run(actions.enable(record))
    assert str(caught.value) == "Please fill in Key, Account before enabling Checked."
    assert set(caught.value.problems) == {"checked_key", "checked_account"}

    record.checked_key = "sk_oops"
    with pytest.raises(UserError) as caught:
        opened.run(actions.enable(record))
    assert str(caught.value) == (
        "Checked cannot be enabled yet; 2 fields need attention. "
        "Key: A Checked key starts with ck_. Account: Account is needed to enable Checked."
    )
    result = opened.run(actions.test_connection(record))
    assert result.outcome == "rejected" and dict(result.problems) == {
        "checked_key": "A Checked key starts with ck_."
    }

    record.checked_key = "ck_good"
    record.checked_account = "ACME"
    assert opened.run(actions.enable(record)) == "Enabled"


def test_a_failing_hook_is_logged_and_says_nothing(
    opened: Opened, caplog: pytest.LogCaptureFixture
) -> None:
    record = opened.integration("checked")
    record.checked_note = "boom"
    with caplog.at_level(logging.ERROR, logger="ffdesk.engine.field_checks"):
        problems = field_problems(record, opened.form(record), typed_only=True)
    assert problems == {}
    assert "check_credentials failed" in caplog.text


def test_a_module_without_the_hook_is_unchanged(opened: Opened) -> None:
    mine = opened.integration("my_service")
    assert field_problems(mine, opened.form(mine)) == {}
    with pytest.raises(UserError, match=r"^Please enter your API Key before enabling\.$"):
        opened.run(actions.enable(mine))
