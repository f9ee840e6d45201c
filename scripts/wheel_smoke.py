"""Run by scripts/check-wheel with the *installed* wheel's Python: icons and logos are found.

It must not see the checkout: it fails if ffdesk is imported from anywhere but site-packages.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def logos(database_url: str) -> dict[str, str | None]:
    from ffdesk.api import open_system

    system = await open_system(database_url, entry_points=False)
    try:
        return {m.identifier: system.image_path(m.identifier) for m in system.integration_modules()}
    finally:
        await system.close()


def main() -> int:
    import ffdesk

    where = Path(ffdesk.__file__).resolve()
    if "site-packages" not in where.parts:
        print(f"ffdesk imported from {where}, not from the installed wheel", file=sys.stderr)
        return 1
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ffdesk.ui.icons import IconCache, app_icon, category_icon_path

    app = QApplication([])
    failures = []
    if app_icon().pixmap(64, 64).isNull():
        failures.append("the application icon (resources/icons/app.svg) does not render")
    for category in ("Online Payment", "Messaging", "Shipping"):
        if category_icon_path(category) is None:
            failures.append(f"no icon for the category {category}")
    found = asyncio.run(logos(sys.argv[1]))
    cache = IconCache()
    for identifier, path in sorted(found.items()):
        if path is None or cache.pixmap(path, 48).isNull():
            failures.append(f"{identifier}: logo {path} missing or unreadable")
    for failure in failures:
        print(f"wheel smoke: {failure}", file=sys.stderr)
    print(f"wheel smoke: {len(found)} logos and the icons render from {where.parent}")
    app.quit()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
