"""`ffdesk` (no arguments) opens the window; with a subcommand it runs the command line."""

from __future__ import annotations

import sys

# Global options that take a value: that value is not a subcommand.
_VALUED_OPTIONS = ("--database", "--company")


def _positionals(argv: list[str]) -> list[str]:
    found: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUED_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            found.append(arg)
    return found


def main() -> int:
    argv = sys.argv[1:]
    if "--version" in argv or "-V" in argv:
        # Answered before Qt, the engine or the command line's parser is even imported.
        from ffdesk import __version__

        if "--json" in argv:
            print(f'{{"version": "{__version__}"}}')
        else:
            print(f"ffdesk {__version__}")
        return 0
    if not _positionals(argv) and "--help" not in argv and "-h" not in argv:
        import gc

        # Until the first paint: creating Qt's enums and the window's widgets allocates
        # thousands of objects that live on, and collecting them meanwhile only delays the
        # window. run_app() turns the collector back on as soon as the window is drawn.
        gc.disable()
        from ffdesk.app import run_app

        return run_app(argv)
    from ffdesk.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
