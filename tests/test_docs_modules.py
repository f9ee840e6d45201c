"""docs/modules.md works as written: its example module installs and behaves, its own test
passes against a local server, and every Q-expression of its reference is valid."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ffdesk.engine.base import Q
from tests.helpers.env import (
    OpenSystem,
    Subprocess,
    ffdesk_process_fixture,  # noqa: F401
    open_system_fixture,  # noqa: F401
)

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "modules.md").read_text()
FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)
GUIDE_CONFTEST = """
from pathlib import Path

import pytest


@pytest.fixture
def modules_folder():
    return Path(__file__).resolve().parents[1] / "modules"
"""


def write_guide_files(root: Path) -> dict[str, Path]:
    """Every `<!-- file: ... -->` block of the guide, written under `root`."""
    written = {}
    for match in FILE_BLOCK.finditer(GUIDE):
        rel = match["path"]
        base = root if rel.startswith("tests/") else root / "modules"
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(match["body"])
        written[rel] = path
    return written


def test_the_guide_holds_a_whole_module_and_its_test(tmp_path: Path) -> None:
    written = write_guide_files(tmp_path)
    assert {
        "acme_sms/manifest.yaml",
        "acme_sms/__init__.py",
        "acme_sms/models/__init__.py",
        "acme_sms/views/integration_form_view.yaml",
        "acme_sms/views/zz_region_lock.yaml",
        "acme_sms/data/cron.yaml",
        "acme_sms/static/img/acme_logo.svg",
        "tests/test_acme_sms.py",
    } == set(written)


def test_the_example_module_installs_with_its_form_views_and_cron(
    tmp_path: Path, open_system: OpenSystem
) -> None:
    write_guide_files(tmp_path)
    opened = open_system(tmp_path / "modules")
    assert opened.system.module_problem("acme_sms") is None
    assert opened.install("acme_sms") == ["contacts", "messaging", "acme_sms"]  # dependencies first
    acme = opened.integration("acme_sms")
    assert opened.state(acme) == "Installed"
    form = {f.name: f for f in opened.form(acme)}
    assert form["acme_sms_token"].widget == "Password"
    assert form["acme_sms_token"].required and form["acme_sms_token"].visible
    assert form["acme_sms_region"].visible and not form["acme_sms_region"].readonly
    # The operations-syntax extension: the region locks while the integration is enabled.
    opened.write(acme, acme_sms_token="acme_token_7", enabled=True)
    form = {f.name: f for f in opened.form(acme)}
    assert form["acme_sms_region"].readonly
    # Another integration's form does not show Acme's fields.
    stripe = opened.integration("payment_stripe")
    assert "acme_sms_token" not in {f.name for f in opened.form(stripe) if f.visible}
    jobs = opened.run(opened.model("CronJob").filter(identifier="acme_sms_sync").all())
    assert [(j.method, j.frequency, j.frequency_unit) for j in jobs] == [
        ("sync_acme_sms", 15, "Minutes")
    ]
    assert opened.read(acme, "cron_sync_method") == "sync_acme_sms"
    assert "acme_opted_out" in opened.model("Contact")._fields


def test_every_q_expression_of_the_reference_is_valid_on_integration(
    tmp_path: Path, open_system: OpenSystem
) -> None:
    write_guide_files(tmp_path)
    opened = open_system(tmp_path / "modules")
    opened.install("acme_sms")
    Integration = opened.model("Integration")
    table = GUIDE[GUIDE.index("| op | true when | example |") :]
    table = table[: table.index("\n\n")]
    examples = [
        cell.replace("\\|", "|") for cell in re.findall(r"`(Q\(.*?\))`\s*\|\s*$", table, re.M)
    ]
    ops = set(re.findall(r"^\| `(\w+)`", table, re.M))
    assert ops == {
        *("eq", "neq", "gt", "gte", "lt", "lte", "in", "nin", "isnull", "isnotnull"),
        *("contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"),
    }
    assert len(examples) == len(ops) + 1
    for text in examples:
        query = Q.parse(text)
        query.validate(Integration)  # unknown fields, ops or value types raise here
        opened.run(Integration.filter(query).count())


def test_the_guides_own_test_passes_against_a_local_server(tmp_path: Path) -> None:
    written = write_guide_files(tmp_path)
    (tmp_path / "tests" / "conftest.py").write_text(GUIDE_CONFTEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:pytestqt",
         str(written["tests/test_acme_sms.py"])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_example_arrives_through_the_entry_point_group(
    tmp_path: Path, ffdesk_process: Subprocess
) -> None:
    """Installed as a distribution that declares `ffdesk.modules`, as the guide says."""
    site = tmp_path / "site"
    write_guide_files(site / "tree")
    (site / "tree" / "modules" / "acme_sms").rename(site / "acme_sms")
    dist_info = site / "acme_sms-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-sms\nVersion: 1.0\n")
    entry_points = GUIDE[GUIDE.index('[project.entry-points."ffdesk.modules"]') :]
    declared = entry_points.splitlines()[1].strip().replace('"', "")  # TOML -> entry_points.txt
    (dist_info / "entry_points.txt").write_text(f"[ffdesk.modules]\n{declared}\n")
    env = {"PYTHONPATH": f"{site}:{ffdesk_process.env['PYTHONPATH']}"}
    listed = ffdesk_process("modules", "list", "--json", **env)
    assert listed.returncode == 0, listed.stderr
    rows = {m["identifier"]: m for m in json.loads(listed.stdout)["modules"]}
    assert rows["acme_sms"] == {
        "identifier": "acme_sms",
        "name": "Acme SMS",
        "state": "Not Installed",
        "problem": None,
    }
    installed = ffdesk_process("modules", "install", "acme_sms", **env)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == "Installed contacts, messaging, acme_sms.\n"


@pytest.mark.parametrize("name", ["troubleshooting.md", "cli.md", "modules.md"])
def test_docs_exist_and_are_linked_from_the_readme(name: str) -> None:
    assert (ROOT / "docs" / name).is_file()
    assert f"docs/{name}" in (ROOT / "README.md").read_text()
