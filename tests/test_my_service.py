"""The reference page's example module, unchanged but for its import line, works end to end."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ffdesk.engine.errors import UserError
from ffdesk.services import integrations as actions
from tests.helpers.env import (
    FIXTURE_MODULES,
    Opened,
    OpenSystem,
    open_system_fixture,  # noqa: F401
    write_integration_module,
)

VISIBLE = "Q(module__identifier__eq='my_service')"


@pytest.fixture
def opened(open_system: OpenSystem, tmp_path: Path) -> Opened:
    # A second Online Payment integration, installed too, to look at my_service's fields from.
    write_integration_module(tmp_path / "other", "alt_service")
    handle = open_system(FIXTURE_MODULES, tmp_path / "other")
    assert handle.install("alt_service") == ["contacts", "online_payment", "alt_service"]
    assert handle.install("my_service") == ["my_service"]
    return handle


def test_the_fixture_is_the_reference_page_module() -> None:
    source = (FIXTURE_MODULES / "my_service" / "models" / "__init__.py").read_text()
    assert source.startswith("from ffdesk.engine.base import *\n")
    assert 'raise UserError("Please enter your API Key before enabling.")' in source
    assert 'cron_sync_method = "sync_my_service"' in source


def test_api_key_follows_enabled_and_api_secret_is_a_password(opened: Opened) -> None:
    form = opened.form(opened.integration("my_service"))
    names = [f.name for f in form]
    at = names.index("enabled")
    assert names[at + 1 : at + 3] == ["api_key", "api_secret"]
    fields = {f.name: f for f in form}
    assert (fields["api_key"].label, fields["api_key"].widget) == ("API Key", "Text")
    assert fields["api_key"].hint == "Your MyService API key"
    assert (fields["api_secret"].label, fields["api_secret"].widget) == ("API Secret", "Password")
    assert fields["api_key"].company_scoped and fields["api_secret"].company_scoped
    elements = {e.name: e for e in opened.system.views.form_elements("integration_form_view")}
    assert elements["api_key"].properties == {"visible": VISIBLE}
    assert elements["api_secret"].properties == {"widget": "Password", "visible": VISIBLE}


def test_both_fields_are_visible_for_my_service_only(opened: Opened) -> None:
    mine = {f.name: f.visible for f in opened.form(opened.integration("my_service"))}
    assert mine["api_key"] is True and mine["api_secret"] is True
    others = [m.identifier for m in opened.system.integration_modules()]
    others.remove("my_service")
    assert "alt_service" in others  # and every shipped one (installed or not)
    for identifier in others:
        theirs = {f.name: f.visible for f in opened.form(opened.integration(identifier))}
        assert theirs["api_key"] is False and theirs["api_secret"] is False


def test_enabling_needs_the_api_key_then_enables(opened: Opened) -> None:
    record = opened.integration("my_service")
    assert opened.state(record) == "Installed"
    with pytest.raises(UserError) as caught:
        opened.run(record.enable_integration())
    assert str(caught.value) == "Please enter your API Key before enabling."
    assert opened.state(opened.integration("my_service")) == "Installed"

    opened.save(record, api_key="my-service-key-1")
    opened.run(record.enable_integration())
    assert opened.state(opened.integration("my_service")) == "Enabled"
    # The same through the service the window and the command line use.
    assert opened.run(actions.disable(record)) == "Installed"
    assert opened.run(actions.enable(record)) == "Enabled"


def test_the_cron_method_sets_last_synced_date(opened: Opened) -> None:
    Integration = opened.model("Integration")
    record = opened.integration("my_service")
    assert record.cron_sync_method == "sync_my_service"
    opened.save(record, api_key="my-service-key-2")
    opened.run(record.enable_integration())
    assert record.last_synced_date is None

    before = datetime.now() - timedelta(seconds=1)
    assert opened.run(Integration.sync_my_service()) is None
    synced = opened.integration("my_service").last_synced_date
    assert synced is not None and before <= synced <= datetime.now()
    # Only enabled MyService records are synced.
    for other in opened.run(Integration.filter(module__identifier__neq="my_service").all()):
        assert other.last_synced_date is None
