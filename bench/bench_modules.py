"""Modules benchmark: discovery, install and view merge of many integration modules, and the
merged form of one record once cached.

Run: .venv/bin/python bench/bench_modules.py [--modules 200] [--iterations 5000] [--profile]

Figures (CPU time of this process or thread, so other processes on a busy machine do not
count; wall time beside it):
- discovery of N synthetic integration modules (manifest, models extending Integration with a
  company-scoped and a plain field, one view extension each) in a temporary folder, together
  with the shipped `ffdesk/modules/`;
- installing all of them (one `install_module` call: a module that depends on all of them);
- building the merged arch of integration_form_view from the database (cache dropped first);
- `env.form(record)` for one integration record once the merged view is cached: mean and p95
  over many calls (goal: < 2 ms).
`--profile` adds a cProfile of the `env.form` loop (top functions by own time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ffdesk.api import open_system
from ffdesk.engine.env import env_ctx
from ffdesk.engine.system import System

FORM_VIEW = "integration_form_view"
GOAL_FORM_MS = 2.0
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n'


class MemorySecrets:
    """Company-scoped values in a dict (the benchmark never touches the real keyring)."""

    def __init__(self) -> None:
        self.data: dict[tuple[int, str, int, str], str] = {}

    def get(self, company_id: int, model: str, record_id: int, field: str) -> str | None:
        return self.data.get((company_id, model, record_id, field))

    def set(
        self, company_id: int, model: str, record_id: int, field: str, value: str | None
    ) -> None:
        if value is None:
            self.data.pop((company_id, model, record_id, field), None)
        else:
            self.data[(company_id, model, record_id, field)] = value

    def delete(self, company_id: int, model: str, record_id: int, field: str) -> None:
        self.data.pop((company_id, model, record_id, field), None)


def write_modules(root: Path, count: int) -> list[str]:
    """`count` integration modules like the reference page's, and `bench_all` needing them."""
    identifiers = [f"bench_{i:03d}" for i in range(count)]
    for identifier in identifiers:
        folder = root / identifier
        (folder / "models").mkdir(parents=True)
        (folder / "views").mkdir()
        (folder / "static" / "img").mkdir(parents=True)
        (folder / "static" / "img" / "logo.svg").write_text(LOGO)
        manifest = {
            "name": f"Bench {identifier}",
            "identifier": identifier,
            "version": "1.0",
            "category": "module_category_integrations",
            "integration_category": "Online Payment",
            "description": f"Synthetic integration {identifier}",
            "dependencies": ["online_payment"],
            "icon": "CreditCard",
            "image": "/static/img/logo.svg",
            "static_paths": ["img"],
        }
        (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        (folder / "__init__.py").write_text("from . import models  # noqa: F401\n")
        cls = identifier.title().replace("_", "")
        (folder / "models" / "__init__.py").write_text(
            "from ffdesk.engine.base import *\n\n\n"
            f"class {cls}Integration(Model):\n"
            '    __inherit__ = "Integration"\n\n'
            f'    {identifier}_key = Char(max_length=255, description="Key", company_scoped=True)\n'
            f'    {identifier}_region = Char(max_length=20, description="Region", default="eu")\n'
        )
        visible = f"Q(module__identifier__eq='{identifier}')"
        view = [
            {
                "data_type": "UiView",
                "identifier": FORM_VIEW,
                "__inherit__": FORM_VIEW,
                "arch": [
                    {
                        "type": "field",
                        "name": f"{identifier}_key",
                        "position": "after:enabled",
                        "properties": {"widget": "Password", "required": True, "visible": visible},
                    },
                    {
                        "type": "field",
                        "name": f"{identifier}_region",
                        "position": f"after:{identifier}_key",
                        "properties": {"visible": visible},
                    },
                ],
            }
        ]
        (folder / "views" / "form.yaml").write_text(yaml.safe_dump(view, sort_keys=False))
    bundle = root / "bench_all"
    bundle.mkdir()
    (bundle / "manifest.yaml").write_text(
        yaml.safe_dump(
            {"name": "All bench modules", "identifier": "bench_all", "dependencies": identifiers}
        )
    )
    return identifiers


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def line(label: str, cpu: float, wall: float, extra: str = "") -> None:
    print(f"{label:<44} {cpu * 1000:9.1f} ms CPU {wall * 1000:9.1f} ms wall{extra}")


def run(coro: Any, system: System | None = None) -> Any:
    async def activated() -> Any:
        if system is not None:
            env_ctx.set(system.env)
        return await coro

    return asyncio.run(activated())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ffdesk-bench-") as tmp:
        root = Path(tmp) / "modules"
        identifiers = write_modules(root, args.modules)
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        system = run(open_system(url, [root], secrets=MemorySecrets(), entry_points=False))
        print(f"{args.modules} synthetic integration modules, {len(system.discovered)} discovered")

        _, cpu, wall = timed(system.discover)
        line("discover (all folders)", cpu, wall)
        assert all(i in system.discovered for i in identifiers)

        done, cpu, wall = timed(lambda: run(system.install_module("bench_all"), system))
        line(f"install all ({len(done)} modules, one call)", cpu, wall)

        def merge() -> list[dict[str, Any]]:
            system.views.invalidate()
            return system.views.merged_arch(FORM_VIEW)

        arch, cpu, wall = timed(merge)
        fields = sum(len(e.get("content") or []) for e in arch)
        line(f"merged arch build ({fields} elements)", cpu, wall)
        _, cpu, wall = timed(lambda: system.views.form_elements(FORM_VIEW))
        line("form elements (conditions parsed)", cpu, wall)

        record = run(system.integration(identifiers[len(identifiers) // 2]), system)

        async def measure() -> tuple[list[float], list[float], int]:
            env_ctx.set(system.env)
            form = system.env.form(record)  # warm: the related module record is loaded once
            walls, cpus = [], []
            for _ in range(args.iterations):
                cpu, wall = time.thread_time(), time.perf_counter()
                form = system.env.form(record)
                cpus.append(time.thread_time() - cpu)
                walls.append(time.perf_counter() - wall)
            return walls, cpus, sum(f.visible for f in form)

        walls, cpus, visible = asyncio.run(measure())
        print(
            f"env.form(record), cached view, {len(form_names(system, record))} fields"
            f" ({visible} visible), {args.iterations} calls:"
        )
        for label, samples in (("CPU", cpus), ("wall", walls)):
            samples.sort()
            mean = statistics.fmean(samples) * 1000
            p95 = samples[int(len(samples) * 0.95)] * 1000
            verdict = "ok" if p95 < GOAL_FORM_MS else "MISSED"
            print(
                f"  {label:<4} mean {mean:.3f} ms, p95 {p95:.3f} ms "
                f"(goal p95 < {GOAL_FORM_MS} ms: {verdict})"
            )
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            asyncio.run(measure())
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        run(system.close())
    return 0


def form_names(system: System, record: Any) -> list[str]:
    async def names() -> list[str]:
        env_ctx.set(system.env)
        return [f.name for f in system.env.form(record)]

    return asyncio.run(names())


if __name__ == "__main__":
    sys.exit(main())
