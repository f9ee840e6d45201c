"""`ffdesk completion SHELL`: scripts generated from the parser the command line uses."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.helpers.env import CliRunner, cli_fixture  # noqa: F401

COMPLETE = """
source /dev/stdin
complete_words() {{
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _shtab_ffdesk; echo "${{COMPREPLY[@]}}"
}}
{calls}
"""


def bash_completions(script: str, *lines: list[str]) -> list[list[str]]:
    calls = "\n".join("complete_words " + " ".join(f"'{w}'" for w in words) for words in lines)
    done = subprocess.run(
        ["bash", "-c", COMPLETE.format(calls=calls)],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return [line.split() for line in done.stdout.splitlines()]


def test_bash_completes_commands_actions_and_choices(cli: CliRunner) -> None:
    script = cli("completion", "bash")
    assert (script.code, script.err) == (0, "")
    assert bash_completions(
        script.out,
        ["ffdesk", "integ"],
        ["ffdesk", "integrations", "e"],
        ["ffdesk", "completion", ""],
        ["ffdesk", "modules", "list", "--js"],
    ) == [["integrations"], ["enable"], ["bash", "zsh", "fish"], ["--json"]]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_know_every_command(cli: CliRunner, shell: str) -> None:
    result = cli("completion", shell)
    assert result.code == 0
    for name in ("modules", "companies", "integrations", "sync", "runs", "contacts", "doctor"):
        assert name in result.out
    if shutil.which(shell):  # the shell itself, where installed, must accept the script
        check = ["zsh", "-n"] if shell == "zsh" else ["fish", "--no-execute"]
        subprocess.run([*check], input=result.out, text=True, check=True, timeout=30)


def test_an_unknown_shell_is_bad_usage(cli: CliRunner) -> None:
    result = cli("completion", "powershell")
    assert result.code == 2
    assert result.err.startswith("ffdesk completion: argument shell: invalid choice")
