"""Every broken module of the corpus: its one-line reason, a refused install, the rest works.

The corpus and its expected reasons are described in tests/fixtures/broken_modules/README.md.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from ffdesk.engine.errors import UserError
from tests.helpers.env import (
    BROKEN_MODULES,
    FIXTURE_MODULES,
    SHIPPED_MODULES,
    CliRunner,
    Opened,
    OpenSystem,
    Subprocess,
    cli_fixture,  # noqa: F401
    ffdesk_process_fixture,  # noqa: F401
    open_system_fixture,  # noqa: F401
)

# A reason names the module and the file it found the problem in, and the line if there is one.
REASON = re.compile(
    r"(?P<folder>[a-z_]+) \((?P<file>manifest\.yaml|views/form\.yaml|models/[a-z_]+\.py)"
    r"(, line \d+)?\): \S"
)


def readme_rows() -> list[tuple[str, str, str]]:
    """(folder, found by, expected substring) for every row of the corpus README table."""
    rows = []
    for line in (BROKEN_MODULES / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("folder", "---"):
            expected = re.fullmatch(r"`(.*)`", cells[3])
            assert expected, f"README row without a `substring`: {line}"
            rows.append((cells[0], cells[2], expected.group(1)))
    return rows


ROWS = readme_rows()
EXPECTED = {folder: expected for folder, _, expected in ROWS}
FOUND_BY = {folder: found_by for folder, found_by, _ in ROWS}
FOLDERS = sorted(EXPECTED)
LATE = sorted(f for f in FOLDERS if FOUND_BY[f] in ("categories", "install"))


def healthy_modules() -> list[str]:
    """The modules the corpus sits beside: shipped ones and the reference page's example."""
    return sorted(
        p.name
        for root in (SHIPPED_MODULES, FIXTURE_MODULES)
        for p in root.iterdir()
        if (p / "manifest.yaml").is_file()
    )


def test_the_corpus_covers_every_kind_of_problem() -> None:
    folders = sorted(p.name for p in BROKEN_MODULES.iterdir() if p.is_dir())
    assert folders == FOLDERS
    assert len(folders) >= 15
    assert {
        "view_missing_target",
        "invalid_q",
        "malicious_q",
        "q_unknown_field",
        "import_error",
        "syntax_error",
        "data_bad_yaml",
        "unknown_integration_category",
        "depends_on_broken",
    } <= set(folders)


@pytest.fixture
def corpus(open_system: OpenSystem) -> Opened:
    return open_system(BROKEN_MODULES, FIXTURE_MODULES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_installing_is_refused_with_the_modules_own_reason(corpus: Opened, folder: str) -> None:
    system = corpus.system
    before = system.module_problem(folder)
    if FOUND_BY[folder] in ("manifest", "dependencies"):
        assert before is not None and EXPECTED[folder] in before
    else:  # found by the installer: the module looks healthy until then
        assert before is None
    with pytest.raises(UserError) as caught:
        corpus.install(folder)
    message = str(caught.value)
    prefix = f"Cannot install {folder}: "
    assert message.startswith(prefix)
    reason = message[len(prefix) :]
    assert EXPECTED[folder] in reason
    assert "\n" not in reason
    match = REASON.match(reason)
    assert match is not None, reason
    assert match["folder"] == folder
    if before is not None:
        assert reason == before
    # It is listed with that reason now, and nothing of it was installed.
    assert system.module_problem(folder) == reason
    assert corpus.module(folder).problem == reason
    assert corpus.module(folder).state == "Not Installed"
    assert system.installed == ["integrations"]
    listed = {m.identifier: m for m in corpus.run(system.list_modules())}
    assert listed[folder].problem == reason


def test_after_every_refusal_every_healthy_module_still_installs(corpus: Opened) -> None:
    for folder in FOLDERS:
        with pytest.raises(UserError):
            corpus.install(folder)
    assert corpus.system.installed == ["integrations"]
    for identifier in healthy_modules():
        corpus.install(identifier)
    assert set(corpus.system.installed) == set(healthy_modules())
    listed = {m.identifier: m for m in corpus.run(corpus.system.list_modules())}
    for identifier in healthy_modules():
        assert (listed[identifier].state, listed[identifier].problem) == ("Installed", None)
    for folder in FOLDERS:
        assert listed[folder].state == "Not Installed"
        assert EXPECTED[folder] in (listed[folder].problem or "")
    # The merged form holds nothing of the refused modules, and opens for their records too.
    record = corpus.integration("invalid_q")
    names = [f.name for f in corpus.form(record)]
    assert not set(names) & {f"{folder}_api_key" for folder in FOLDERS}
    assert "api_key" in names
    assert corpus.state(record) == "Not Installed"
    with pytest.raises(UserError, match=r"^Install Invalid Q \(fixture\) before enabling it\.$"):
        corpus.run(record.enable_integration())


def test_late_problems_are_still_listed_after_a_restart(open_system: OpenSystem) -> None:
    first = open_system(BROKEN_MODULES, FIXTURE_MODULES)
    reasons = {}
    for folder in LATE:
        with pytest.raises(UserError) as caught:
            first.install(folder)
        reasons[folder] = str(caught.value).split(": ", 1)[1]
    first.close()
    again = open_system(BROKEN_MODULES, FIXTURE_MODULES)
    listed = {m.identifier: m for m in again.run(again.system.list_modules())}
    for folder in LATE:
        assert listed[folder].problem == reasons[folder]
    with pytest.raises(UserError, match=r"^Cannot install invalid_q: invalid_q \(views/form"):
        again.install("invalid_q")


def test_a_malicious_q_expression_never_runs(
    open_system: OpenSystem, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned.txt"
    root = tmp_path / "evil"
    shutil.copytree(BROKEN_MODULES / "malicious_q", root / "malicious_q")
    view = root / "malicious_q" / "views" / "form.yaml"
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('pwned')"
    view.write_text(view.read_text().replace("__import__('os').system('echo pwned')", payload))
    opened = open_system(root)
    with pytest.raises(UserError, match=r"^Cannot install malicious_q: malicious_q \(views/form"):
        opened.install("malicious_q")
    assert not marker.exists()
    # The corpus' own payload would print "pwned" from a shell: nothing was printed.
    corpus = open_system(BROKEN_MODULES, FIXTURE_MODULES, name="corpus")
    with pytest.raises(UserError):
        corpus.install("malicious_q")
    corpus.run(corpus.system.list_modules())
    out, err = capfd.readouterr()
    assert "pwned" not in out and "pwned" not in err
    assert not marker.exists()


def test_discovery_imports_no_code_of_the_corpus(corpus: Opened) -> None:
    assert not [n for n in sys.modules if n.startswith("ffdesk.addons.import_error")]
    assert not [n for n in sys.modules if n.startswith("ffdesk.addons.syntax_error")]
    with pytest.raises(UserError):
        corpus.install("import_error")
    assert not [n for n in sys.modules if n.startswith("ffdesk.addons.import_error")]


# -- the command line -----------------------------------------------------------------------


@pytest.fixture
def corpus_cli(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FFDESK_MODULES_PATH", f"{BROKEN_MODULES}")
    return cli


def test_cli_install_fails_with_exit_1_and_one_sentence_for_each(corpus_cli: CliRunner) -> None:
    reasons = {}
    for folder in FOLDERS:  # one database for all: each refusal leaves it usable
        result = corpus_cli("modules", "install", folder)
        assert result.code == 1, folder
        assert result.out == ""
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith(f"Cannot install {folder}: {folder} (")
        assert EXPECTED[folder] in lines[0]
        assert "Traceback" not in result.err
        reasons[folder] = lines[0].split(": ", 1)[1]
    listed = corpus_cli("modules", "list", "--json")
    assert listed.code == 0
    rows = {r["identifier"]: r for r in listed.json()["modules"]}
    for folder in FOLDERS:
        assert (rows[folder]["state"], rows[folder]["problem"]) == (
            "Not Installed",
            reasons[folder],
        )


def test_cli_modules_list_always_works_and_shows_every_problem(corpus_cli: CliRunner) -> None:
    for folder in LATE:  # problems found by the installer appear once it has tried
        assert corpus_cli("modules", "install", folder).code == 1
    result = corpus_cli("modules", "list")
    assert result.code == 0, result.err
    assert result.err == ""
    lines = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    for folder in FOLDERS:
        assert EXPECTED[folder] in lines[folder], folder
    as_json = corpus_cli("modules", "list", "--json")
    assert as_json.code == 0
    rows = {r["identifier"]: r for r in as_json.json()["modules"]}
    assert set(FOLDERS) <= set(rows)
    for folder in FOLDERS:
        assert EXPECTED[folder] in rows[folder]["problem"]
    # The healthy ones still install from the command line, in the same database.
    assert corpus_cli("modules", "install", "payment_stripe").code == 0
    assert corpus_cli("modules", "install", "messaging").code == 0
    rows = {r["identifier"]: r for r in corpus_cli("modules", "list", "--json").json()["modules"]}
    assert rows["payment_stripe"]["state"] == "Installed"
    assert rows["payment_stripe"]["problem"] is None


def test_console_script_refuses_a_broken_module_without_a_traceback(
    ffdesk_process: Subprocess,
) -> None:
    env = {"FFDESK_MODULES_PATH": str(BROKEN_MODULES)}
    done = ffdesk_process("modules", "install", "syntax_error", **env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "Cannot install syntax_error: syntax_error (models/integration.py, line 20): "
        "SyntaxError: expected ':'"
    )
    listed = ffdesk_process("modules", "list", **env)
    assert listed.returncode == 0, listed.stderr
    assert "syntax_error (models/integration.py, line 20): SyntaxError" in listed.stdout
    assert "bad_yaml (manifest.yaml, line 4): bad YAML" in listed.stdout
    assert "Traceback" not in listed.stderr + done.stderr
