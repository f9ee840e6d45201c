"""Shell completion scripts for `ffdesk completion bash|zsh|fish`, generated from the parser."""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "fish")


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for `shell`, built by shtab from the same parser the CLI uses."""
    import shtab

    if shell not in SHELLS:
        raise ValueError(f"no completion for {shell!r} (shells: {', '.join(SHELLS)})")
    script = shtab.complete(parser, shell=shell)
    return script if script.endswith("\n") else script + "\n"
