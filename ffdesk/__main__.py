"""`ffdesk` (no arguments) opens the window; with a subcommand it runs the command line."""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
    if not [a for a in argv if not a.startswith("-")] and "--help" not in argv and "-h" not in argv:
        from ffdesk.app import run_app

        return run_app(argv)
    from ffdesk.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
