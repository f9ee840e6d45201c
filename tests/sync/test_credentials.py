"""`@credential_rules(IDENTIFIER)`: a provider module states only its rules; the base
Integration runs them for that module's integrations alone, everywhere `check_credentials()`
is asked (the form, Test connection, Enable), next to modules that still override the hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffdesk.engine.errors import UserError
from ffdesk.engine.field_checks import field_problems
from ffdesk.services import integrations as actions
from ffdesk.sync import credential_problem, credential_problems
from tests.helpers.env import (
    FIXTURE_MODULES,
    Opened,
    OpenSystem,
    open_system_fixture,  # noqa: F401
    write_integration_module,
)

RULED = """
from ffdesk.engine.base import *
from ffdesk.sync import credential_rules

IDENTIFIER = "ruled"


class RuledIntegration(Model):
    __inherit__ = "Integration"

    ruled_key = Char(max_length=64, description="Key", company_scoped=True)
    ruled_region = Char(max_length=8, description="Region")

    @credential_rules(IDENTIFIER)
    def _ruled_credential_problems(self):
        problems = {}
        key = (self.ruled_key or "").strip()
        if key and not key.startswith("rk_"):
            problems["ruled_key"] = "A Ruled key starts with rk_."
        if self.ruled_region not in (None, "", "eu", "us"):
            problems["ruled_region"] = "The Ruled region is eu or us."
        return problems
"""
# The hook written by hand, as modules did before the helper (and may still do).
OVERRIDDEN = """
from ffdesk.engine.base import *


class OverriddenIntegration(Model):
    __inherit__ = "Integration"

    overridden_key = Char(max_length=64, description="Key", company_scoped=True)

    def check_credentials(self):
        problems = super().check_credentials()
        if self.module_identifier() != "overridden":
            return problems
        if (self.overridden_key or "").strip() == "bad":
            problems["overridden_key"] = "That Overridden key is bad."
        return problems
"""


def view(identifier: str, fields: list[str]) -> str:
    own = f"Q(module__identifier__eq='{identifier}')"
    previous = "enabled"
    lines = ["- data_type: UiView", "  identifier: integration_form_view"]
    lines += ["  __inherit__: integration_form_view", "  arch:"]
    for name in fields:
        lines += [
            "  - type: field",
            f"    name: {name}",
            f"    position: after:{previous}",
            f'    properties: {{visible: "{own}"}}',
        ]
        previous = name
    return "\n".join(lines) + "\n"


@pytest.fixture
def opened(open_system: OpenSystem, tmp_path: Path) -> Opened:
    root = tmp_path / "credential_modules"
    write_integration_module(
        root,
        "ruled",
        models=RULED,
        files={"views/integration_form_view.yaml": view("ruled", ["ruled_key", "ruled_region"])},
    )
    write_integration_module(
        root,
        "overridden",
        models=OVERRIDDEN,
        files={"views/integration_form_view.yaml": view("overridden", ["overridden_key"])},
    )
    handle = open_system(FIXTURE_MODULES, root)
    for identifier in ("ruled", "overridden", "my_service"):
        handle.install(identifier)
    return handle


def test_marked_rules_are_the_modules_credential_check(opened: Opened) -> None:
    record = opened.integration("ruled")
    assert record.check_credentials() == {}
    record.ruled_key = "sk_oops"
    record.ruled_region = "mars"
    expected = {
        "ruled_key": "A Ruled key starts with rk_.",
        "ruled_region": "The Ruled region is eu or us.",
    }
    assert record.check_credentials() == expected == credential_problems(record)
    assert field_problems(record, opened.form(record), typed_only=True) == expected
    assert credential_problem(record) == "A Ruled key starts with rk_."

    # Test connection answers with them before anything is sent; Enable names them all.
    result = opened.run(actions.test_connection(record))
    assert result.outcome == "rejected" and dict(result.problems) == expected
    with pytest.raises(UserError) as caught:
        opened.run(actions.enable(record))
    assert set(caught.value.problems) == set(expected)

    record.ruled_key, record.ruled_region = "rk_good", "eu"
    assert record.check_credentials() == {} and credential_problem(record) is None


def test_the_rules_apply_to_their_own_module_only(opened: Opened) -> None:
    overridden = opened.integration("overridden")
    mine = opened.integration("my_service")
    # Another module's record with the same values: the Ruled rules never speak for it.
    for other in (overridden, mine):
        other.ruled_key = "sk_oops"
        assert credential_problems(other) == {}
    assert overridden.check_credentials() == {}
    assert mine.check_credentials() == {}


def test_a_hand_written_hook_works_beside_the_rules(opened: Opened) -> None:
    overridden = opened.integration("overridden")
    overridden.overridden_key = "bad"
    assert overridden.check_credentials() == {"overridden_key": "That Overridden key is bad."}
    assert credential_problem(overridden) == "That Overridden key is bad."
    ruled = opened.integration("ruled")
    ruled.overridden_key = "bad"
    ruled.ruled_key = "sk_oops"
    assert ruled.check_credentials() == {"ruled_key": "A Ruled key starts with rk_."}
