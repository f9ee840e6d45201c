"""The running system: discovered modules, the registry of installed ones, views, companies.

Everything an administrator does apart from the window goes through here (the command line,
the window's services and scripts via `ffdesk.open_env`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ffdesk.engine.core_models import core_declarations
from ffdesk.engine.data_files import DataRecord, read_data_files
from ffdesk.engine.db import Database
from ffdesk.engine.discovery import (
    DiscoveredModule,
    dependencies_closure,
    dependency_order,
    dependents_closure,
    discover_modules,
)
from ffdesk.engine.env import Environment, SecretStore, env_ctx
from ffdesk.engine.errors import MissingError, UserError, ValidationError
from ffdesk.engine.loader import load_module_code
from ffdesk.engine.manifest import (
    MANIFEST_FILE,
    ManifestError,
    check_integration_category,
)
from ffdesk.engine.model import Model
from ffdesk.engine.registry import Registry
from ffdesk.engine.schema import upgrade_schema
from ffdesk.engine.view_service import ViewService, ViewSource, check_view_records

log = logging.getLogger(__name__)

DEFAULT_COMPANY = "My Company"
INTEGRATION_MODEL = "Integration"
DEFAULT_CATEGORIES = ("Online Payment", "Messaging", "Shipping")
# Manifest problems only the installer finds (they need the dependencies' code).
_CATEGORY_REFUSALS = (
    "is not one of the Integration model's choices",
    "integration modules need the integrations module",
)


def _view_source(record: DataRecord) -> ViewSource:
    """A view record of a data file as the view service checks it."""
    return ViewSource(
        identifier=record.identifier,
        model=record.values.get("model"),
        inherit=record.values.get("inherit"),
        arch=record.values.get("arch"),
        module=record.module,
        file=record.file,
        sequence=record.sequence,
    )


@dataclass(frozen=True)
class ModuleStatus:
    """What `modules list` shows of one module."""

    identifier: str
    name: str
    state: str
    problem: str | None
    category: str | None
    integration_category: str | None
    dependencies: tuple[str, ...]
    path: str


class System:
    """Discovered modules, the registry of installed ones, views and the active environment."""

    def __init__(
        self,
        db: Database,
        secrets: SecretStore,
        search_paths: Sequence[Path],
        *,
        entry_point_group: str | None = "ffdesk.modules",
    ) -> None:
        self.db = db
        self.secrets = secrets
        self.search_paths = list(search_paths)
        self.entry_point_group = entry_point_group
        self.discovered: dict[str, DiscoveredModule] = {}
        self.problems: dict[str, str] = {}  # install-time problems (import, data, views)
        self._images: dict[str, str | None] = {}  # logo paths, found once per discovery
        self.installed: list[str] = []  # loaded modules, dependency order
        self.registry = Registry(db, core_declarations())
        self.views = ViewService(self)
        self.env = Environment(self.registry, secrets=secrets)
        self.env.system = self

    # -- start-up ---------------------------------------------------------------------
    async def start(self, company: str | None = None) -> None:
        """Discover, load installed modules, install implicit ones, pick the company."""
        upgrade_schema(self.registry)
        self.discover()
        self._activate()
        await self._sync_module_records()
        wanted = [r.identifier for r in await self._module_records() if r.state == "Installed"]
        self._load_installed(wanted)
        await self._install_implicit()
        await self._ensure_company()
        await self.select_company(company)
        await self.sync_integration_records()
        self.move_readable_values()

    def move_readable_values(self) -> list[str]:
        """Move values of `secret=False` company-scoped fields out of the keyring (once)."""
        from ffdesk.engine.company_values import move_from_keyring

        return move_from_keyring(self.registry, self.secrets, list(self.env.cids))

    def discover(self) -> None:
        self.discovered = discover_modules(
            self.search_paths, entry_point_group=self.entry_point_group
        )
        self._images.clear()

    async def rediscover(self) -> None:
        """Read the module folders again (Refresh): a fixed manifest loses its problem, a newly
        broken one gets it, a new module is listed. Loaded code is not reloaded, but an
        installed module that could not be loaded (broken code or manifest) is tried again."""
        before = {key: found.problem for key, found in self.discovered.items()}
        self.discover()
        for identifier, problem in before.items():
            found = self.discovered.get(identifier)
            # A load problem that was the manifest's own goes with the manifest's fix.
            own = bool(problem) and self.problems.get(identifier) == problem
            if own and (found is None or found.problem != problem):
                self.problems.pop(identifier, None)
        await self._sync_module_records()
        await self._load_fixed_modules()
        await self.sync_integration_records()

    async def _load_fixed_modules(self) -> None:
        """Load the installed modules left out at start whose folder now reads without a
        problem; one still broken keeps (or gets again) its reason."""
        wanted = [r.identifier for r in await self._module_records() if r.state == "Installed"]
        left_out = [
            m
            for m in wanted
            if m not in self.installed and m in self.discovered and not self.discovered[m].problem
        ]
        if not left_out:
            return
        for identifier in left_out:
            self.problems.pop(identifier, None)  # tried again now: a failure says it anew
        self._load_installed(wanted)
        await self._sync_module_records()
        loaded = [m for m in left_out if m in self.installed]
        if loaded:
            log.info("loaded %s, fixed since the start", ", ".join(loaded))

    def _activate(self) -> None:
        self.env.registry = self.registry
        env_ctx.set(self.env)

    def _load_installed(self, wanted: list[str]) -> None:
        """Import the code of installed modules; a broken one is left out with its problem."""
        order = dependency_order(self.discovered, wanted)
        for identifier in wanted:
            if identifier not in order:
                module = self.discovered.get(identifier)
                reason = module.problem if module else "its folder was not found"
                self.problems[identifier] = reason or "cannot be loaded"
        # The usual start: every module's code imports and one registry build of them all
        # succeeds. Only otherwise is it built module by module, to leave out the broken ones
        # (a build per module is quadratic, and the registry build is most of a start-up).
        loaded = self._load_all_or_nothing(order)
        if loaded is not None:
            try:
                self.registry = self._build_registry(loaded)
            except ValidationError:
                loaded = None
        if loaded is None:
            loaded = self._load_one_by_one(order)
            self.registry = self._build_registry(loaded)
        self.installed = loaded
        self._activate()
        upgrade_schema(self.registry)
        self.views.invalidate()

    def _load_all_or_nothing(self, order: list[str]) -> list[str] | None:
        """Import the code of every module in `order`; None if one of them cannot be."""
        if any(d in self.problems for i in order for d in self.discovered[i].dependencies):
            return None
        for identifier in order:
            try:
                load_module_code(identifier, self.discovered[identifier].path)
            except ValidationError:
                return None
        return list(order)

    def _load_one_by_one(self, order: list[str]) -> list[str]:
        """Add the modules of `order` one at a time, leaving out each one that breaks."""
        loaded: list[str] = []
        for identifier in order:
            broken = [d for d in self.discovered[identifier].dependencies if d in self.problems]
            if broken:
                self.problems[identifier] = f"depends on broken module {broken[0]!r}"
                continue
            try:
                load_module_code(identifier, self.discovered[identifier].path)
                self.registry = self._build_registry([*loaded, identifier])
            except ValidationError as exc:
                self.problems[identifier] = str(exc)
                log.warning("module %s not loaded: %s", identifier, exc)
                continue
            loaded.append(identifier)
        return loaded

    def _build_registry(self, identifiers: Sequence[str]) -> Registry:
        declarations: list[type[Model]] = core_declarations()
        for identifier in identifiers:
            module = self.discovered[identifier]
            declarations.extend(load_module_code(identifier, module.path).declarations)
        return Registry(self.db, declarations)

    # -- modules ------------------------------------------------------------------------
    def module_problem(self, identifier: str) -> str | None:
        module = self.discovered.get(identifier)
        if module is None:
            return None
        return (
            module.problem or self.problems.get(identifier) or self.views.problems.get(identifier)
        )

    async def _module_records(self) -> list[Model]:
        return await self.registry["Module"].all().order_by("identifier").all()

    async def _sync_module_records(self) -> None:
        """One Module record per discovered module, with its manifest facts and problem."""
        Module = self.registry["Module"]
        existing = {r.identifier: r for r in await Module.all().all()}
        changed_records: list[Model] = []
        for identifier, found in self.discovered.items():
            if "@" in identifier:
                continue  # a duplicate copy: listed by `list_modules`, never recorded
            record = existing.get(identifier) or Module.new(identifier=identifier)
            manifest = found.manifest
            values: dict[str, Any] = {
                "name": manifest.name if manifest else identifier,
                "version": manifest.version if manifest else None,
                "category": manifest.category if manifest else None,
                "integration_category": manifest.integration_category if manifest else None,
                "description": manifest.description if manifest else None,
                "icon": manifest.icon if manifest else None,
                "image": self.image_path(identifier),
                "path": str(found.path),
                "implicit": bool(manifest.implicit) if manifest else False,
                "problem": self.module_problem(identifier) or self._kept_refusal(record),
            }
            changed = record.id is None
            for name, value in values.items():
                if getattr(record, name) != value:
                    setattr(record, name, value)
                    changed = True
            if changed:
                changed_records.append(record)
        if not changed_records:
            return  # the usual start: nothing to write, so never wait for another writer
        async with self.db.transaction():
            for record in changed_records:
                await record.save()

    def _kept_refusal(self, record: Model) -> str | None:
        """Why the last install of this (not installed) module was refused, kept across starts.

        Manifest and dependency problems are found again by discovery (or were fixed), so only
        the installer's own findings (code, data files, views, integration category) are kept,
        until an install succeeds.
        """
        problem = record.problem
        if record.id is None or record.state == "Installed" or not problem:
            return None
        manifest_problem = problem.startswith(f"{record.identifier} ({MANIFEST_FILE}")
        if manifest_problem and not any(p in problem for p in _CATEGORY_REFUSALS):
            return None
        self.problems.setdefault(record.identifier, problem)
        return problem

    def image_path(self, identifier: str) -> str | None:
        """The absolute path of a module's manifest image, if it exists."""
        if identifier not in self._images:
            self._images[identifier] = self._find_image(identifier)
        return self._images[identifier]

    def _find_image(self, identifier: str) -> str | None:
        module = self.discovered.get(identifier)
        if module is None or module.manifest is None or not module.manifest.image:
            return None
        # load_manifest checked this image moments ago, in discover(): inside one of the
        # static_paths and a file (or there would be no manifest). Resolving it again costs
        # 110 ms at each start with 1,000 modules.
        parts = PurePosixPath(module.manifest.image.strip().lstrip("/")).parts
        return str(module.path.joinpath(*parts))

    async def list_modules(self) -> list[ModuleStatus]:
        states = {r.identifier: r.state for r in await self._module_records()}
        result = []
        for key, found in sorted(self.discovered.items()):
            manifest = found.manifest
            result.append(
                ModuleStatus(
                    identifier=key,
                    name=manifest.name if manifest else key,
                    state=states.get(key, "Not Installed"),
                    problem=self.module_problem(key),
                    category=manifest.category if manifest else None,
                    integration_category=manifest.integration_category if manifest else None,
                    dependencies=found.dependencies,
                    path=str(found.path),
                )
            )
        return result

    def is_installed(self, identifier: str) -> bool:
        return identifier in self.installed

    async def install_module(self, identifier: str) -> list[str]:
        """Install a module and its dependencies; returns what was newly installed.

        Everything is checked before anything is written: code imports, the registry builds,
        the integration category exists, data files parse, views merge and their Q-expressions
        are valid. A refusal is a UserError whose message is the module's problem.
        """
        if identifier not in self.discovered:
            raise MissingError(f"There is no module {identifier!r}.")
        try:
            closure = dependencies_closure(self.discovered, identifier)
        except ValidationError as exc:
            raise UserError(f"Cannot install {identifier}: {exc}") from None
        wanted = [m for m in closure if m not in self.installed]
        wanted += self._implicit_ready([*self.installed, *wanted])
        if not wanted:
            return []
        await self._install(wanted)
        return wanted

    def _implicit_ready(self, installed: list[str]) -> list[str]:
        """Implicit modules whose dependencies would all be installed (transitively)."""
        added: list[str] = []
        present = set(installed)
        changed = True
        while changed:
            changed = False
            for identifier in dependency_order(self.discovered):
                module = self.discovered[identifier]
                if identifier in present or not (module.manifest and module.manifest.implicit):
                    continue
                if identifier in self.problems:
                    continue
                if all(d in present for d in module.dependencies):
                    present.add(identifier)
                    added.append(identifier)
                    changed = True
        return added

    async def _install(self, wanted: list[str]) -> None:
        target = dependency_order(self.discovered, [*self.installed, *wanted])
        data: dict[str, list[DataRecord]] = {}
        for identifier in wanted:
            try:
                load_module_code(identifier, self.discovered[identifier].path)
            except ValidationError as exc:
                await self._refuse(identifier, str(exc))
        # One build for the whole set; only when it fails is it rebuilt step by step, to
        # name the module at fault (building per module is quadratic in the module count).
        try:
            candidate = self._build_registry(target)
        except ValidationError as exc:
            await self._refuse(self._registry_culprit(target, wanted) or wanted[-1], str(exc))
        for identifier in wanted:
            try:
                self._check_category(identifier, candidate, target)
                data[identifier] = read_data_files(identifier, self.discovered[identifier].path)
                self._check_data(identifier, data[identifier], candidate)
            except ValidationError as exc:
                await self._refuse(identifier, str(exc))
        new_views = [_view_source(r) for m in wanted for r in data[m] if r.model == "UiView"]
        try:
            check_view_records(self.views, candidate, new_views, order=target)
        except ValidationError as exc:
            # A view of an installed module that the newcomers would break: the install is
            # refused, the installed module keeps working (and gets no problem).
            culprit = getattr(exc, "module", None)
            await self._refuse(culprit if culprit in wanted else wanted[-1], str(exc))
        # Commit: schema, data, states. A record the database still refuses rolls it all back.
        previous = (self.registry, self.installed)
        self.registry = candidate
        self.installed = target
        self._activate()
        upgrade_schema(self.registry)
        try:
            async with self.db.transaction():
                for identifier in wanted:
                    await self._write_data(identifier, data[identifier])
                Module = self.registry["Module"]
                for identifier in wanted:
                    record = await Module.filter(identifier=identifier).first()
                    if record is None:
                        record = Module.new(identifier=identifier)
                    record.state = "Installed"
                    record.problem = None
                    record.sequence = target.index(identifier)
                    await record.save()
        except Exception as exc:
            # Nothing was recorded as installed: the running system must not claim otherwise.
            self.registry, self.installed = previous
            self._activate()
            self.views.invalidate()
            if not isinstance(exc, ValidationError):
                raise
            await self._refuse(getattr(exc, "module", None) or wanted[-1], str(exc))
        for identifier in wanted:
            self.problems.pop(identifier, None)
        self.views.invalidate()
        await self.sync_integration_records()
        # A module installed again may have kept readable values in the keyring before.
        self.move_readable_values()
        log.info("installed %s", ", ".join(wanted))

    def _registry_culprit(self, target: list[str], wanted: list[str]) -> str | None:
        """The first newcomer whose addition makes the registry fail to build."""
        for index, identifier in enumerate(wanted):
            step = [m for m in target if m in self.installed or m in wanted[: index + 1]]
            try:
                self._build_registry(step)
            except ValidationError:
                return identifier
        return None

    def _check_category(
        self, identifier: str, registry: Registry, target: Sequence[str] | None = None
    ) -> None:
        manifest = self.discovered[identifier].manifest
        if manifest is None or not manifest.is_integration:
            return
        if target is not None and manifest.integration_category not in DEFAULT_CATEGORIES:
            # A category added with _selection_add counts only if a dependency adds it.
            own = set(dependencies_closure(self.discovered, identifier))
            registry = self._build_registry([m for m in target if m in own])
        if INTEGRATION_MODEL not in registry:
            raise ValidationError(
                f"{identifier} (manifest.yaml): integration modules need the integrations module."
            )
        field = registry[INTEGRATION_MODEL]._fields["integration_category"]
        try:
            check_integration_category(
                manifest, getattr(field, "choices", []), folder=self.discovered[identifier].path
            )
        except ManifestError as exc:
            raise ValidationError(str(exc)) from None

    async def _refuse(self, identifier: str, reason: str) -> None:
        self.problems[identifier] = reason
        record = await self.registry["Module"].filter(identifier=identifier).first()
        if record is not None:
            record.problem = reason
            await record.save()
        raise UserError(f"Cannot install {identifier}: {reason}")

    def _check_data(self, identifier: str, records: list[DataRecord], registry: Registry) -> None:
        """Every field a data record sets exists on its model (checked before writing)."""
        for item in records:
            model = registry[item.model]
            for name in item.values:
                if name not in model._fields:
                    raise ValidationError(
                        f"{identifier} ({item.file}): {item.model} has no field {name!r}."
                    )

    async def _write_data(self, identifier: str, records: list[DataRecord]) -> None:
        # A module's views are replaced as a whole: several of its records may extend the same
        # view (same identifier), so they cannot be matched one by one.
        await self.registry["UiView"].filter(module=identifier).delete()
        for item in records:
            try:
                await self._write_record(identifier, item)
            except ValidationError as exc:
                text = str(exc)
                if not text.startswith(f"{identifier} ("):
                    text = f"{identifier} ({item.file}): {item.model} {item.identifier!r}: {text}"
                error = ValidationError(text)
                error.module = identifier  # type: ignore[attr-defined]
                raise error from None

    async def _write_record(self, identifier: str, item: DataRecord) -> None:
        model = self.registry[item.model]
        values = dict(item.values)
        values["module"] = identifier
        if item.model == "UiView":
            values.setdefault("sequence", item.sequence)
            values["file"] = item.file
        existing = (
            None
            if item.model == "UiView"
            else await model.filter(identifier=item.identifier).first()
        )
        record = existing or model.new()
        for name, value in values.items():
            if name not in model._fields:
                raise ValidationError(
                    f"{identifier} ({item.file}): {item.model} has no field {name!r}."
                )
            setattr(record, name, value)
        await record.save()

    async def uninstall_module(self, identifier: str) -> list[str]:
        """Uninstall a module and what depends on it; data stays, views and jobs go."""
        if identifier not in self.discovered:
            raise MissingError(f"There is no module {identifier!r}.")
        if identifier not in self.installed:
            raise UserError(f"{identifier} is not installed.")
        manifest = self.discovered[identifier].manifest
        if manifest is not None and manifest.implicit:
            raise UserError(f"{identifier} is installed automatically and cannot be uninstalled.")
        order = [m for m in dependents_closure(self.discovered, identifier) if m in self.installed]
        Integration = self.registry.models.get(INTEGRATION_MODEL)
        async with self.db.transaction():
            for module_id in order:
                if Integration is not None:
                    for record in await Integration.filter(
                        module__identifier=module_id, enabled=True
                    ).all():
                        record.enabled = False
                        await record.save()
                await self.registry["UiView"].filter(module=module_id).delete()
                await self.registry["CronJob"].filter(module=module_id).delete()
                module = await self.registry["Module"].filter(identifier=module_id).first()
                if module is not None:
                    module.state = "Not Installed"
                    await module.save()
        remaining = [m for m in self.installed if m not in order]
        self.installed = remaining
        self.registry = self._build_registry(remaining)
        self._activate()
        self.views.invalidate()
        log.info("uninstalled %s", ", ".join(order))
        return order

    async def _install_implicit(self) -> None:
        for identifier in self._implicit_ready(self.installed):
            try:
                await self.install_module(identifier)
            except UserError as exc:
                log.warning("implicit module %s not installed: %s", identifier, exc)

    # -- companies ----------------------------------------------------------------------
    async def _ensure_company(self) -> None:
        Company = self.registry["Company"]
        if not await Company.all().exists():
            await Company.create(name=DEFAULT_COMPANY)

    async def companies(self) -> list[Model]:
        return await self.registry["Company"].all().order_by("id").all()

    async def select_company(self, name_or_id: str | int | None) -> Model:
        """Make a company the active one (default: the first)."""
        companies = await self.companies()
        self.env.cids = [c.id for c in companies]  # type: ignore[misc]
        chosen = None
        if name_or_id is None:
            chosen = companies[0] if companies else None
        else:
            for company in companies:
                if company.id == name_or_id or company.name == name_or_id:
                    chosen = company
        if chosen is None:
            names = ", ".join(repr(c.name) for c in companies)
            raise UserError(f"There is no company {name_or_id!r} (companies: {names}).")
        self.env.cid = chosen.id
        self._activate()
        return chosen

    async def add_company(self, name: str) -> Model:
        name = name.strip()
        if not name:
            raise ValidationError("A company needs a name.")
        Company = self.registry["Company"]
        if await Company.filter(name=name).exists():
            raise UserError(f"A company named {name!r} already exists.")
        company = await Company.create(name=name)
        self.env.cids.append(company.id)  # type: ignore[arg-type]
        await self.sync_integration_records()
        return company

    async def rename_company(self, old: str | int, new: str) -> Model:
        new = new.strip()
        if not new:
            raise ValidationError("A company needs a name.")
        Company = self.registry["Company"]
        company = await (
            Company.filter(id=old) if isinstance(old, int) else Company.filter(name=old)
        ).first()
        if company is None:
            raise UserError(f"There is no company {old!r}.")
        if company.name != new and await Company.filter(name=new).exists():
            raise UserError(f"A company named {new!r} already exists.")
        company.name = new
        await company.save()
        return company

    async def delete_company(self, name_or_id: str | int) -> None:
        """Delete a company with its integrations, mappings, runs and secrets (not the last)."""
        companies = await self.companies()
        company = next((c for c in companies if name_or_id in (c.id, c.name)), None)
        if company is None:
            raise UserError(f"There is no company {name_or_id!r}.")
        if len(companies) == 1:
            raise UserError("The last company cannot be deleted.")
        deleted = company.id  # delete() forgets the id
        await company.delete()
        await self.select_company(None if self.env.cid == deleted else self.env.cid)

    # -- integrations -------------------------------------------------------------------
    def integration_modules(self) -> list[DiscoveredModule]:
        return [
            m
            for key, m in sorted(self.discovered.items())
            if "@" not in key and m.manifest is not None and m.manifest.is_integration
        ]

    async def sync_integration_records(self) -> None:
        """One Integration per (integration module, company), facts taken from the manifest."""
        if INTEGRATION_MODEL not in self.registry:
            return
        Integration = self.registry[INTEGRATION_MODEL]
        Module = self.registry["Module"]
        modules = {m.identifier: m for m in await Module.all().all()}
        wanted = self._integration_values(Integration, modules)
        if await self._integration_records_current(Integration, wanted):
            return  # the usual start: every record is there and up to date
        existing: dict[tuple[int, int], Model] = {}
        for record in await Integration.all().all():
            existing[(record.module_id, record.company_id)] = record
        changed_records: list[Model] = []
        for module_id, values in wanted.items():
            for cid in self.env.cids:
                record = existing.get((module_id, cid))  # type: ignore[arg-type]
                if record is None:
                    record = Integration.new(module=module_id, company=cid)
                changed = record.id is None
                for name, value in values.items():
                    if record._values.get(name) != value:
                        setattr(record, name, value)
                        changed = True
                if changed:
                    changed_records.append(record)
        if not changed_records:
            return  # nothing to write, so never wait for another writer
        async with self.db.transaction():
            for record in changed_records:
                await record.save()

    def _integration_values(
        self, Integration: type[Model], modules: dict[str, Model]
    ) -> dict[int, dict[str, Any]]:
        """The values every company's Integration record of each module must have, by the
        module record's id (taken from the manifest and the module's code)."""
        choices = getattr(Integration._fields["integration_category"], "choices", [])
        wanted: dict[int, dict[str, Any]] = {}
        for found in self.integration_modules():
            module = modules.get(found.identifier)
            manifest = found.manifest
            if module is None or manifest is None:
                continue
            values: dict[str, Any] = {
                "name": manifest.name[:100],
                "description": manifest.description,
                "image": self.image_path(found.identifier),
                "integration_category": manifest.integration_category
                if manifest.integration_category in choices
                else None,
            }
            if manifest.cron_sync_method:
                values["cron_sync_method"] = manifest.cron_sync_method
            values.update(
                {
                    k: v
                    for k, v in Integration._values_for_module(found.identifier).items()
                    if k in Integration._fields
                }
            )
            wanted[int(module.id)] = values  # type: ignore[arg-type]
        return wanted

    async def _integration_records_current(
        self, Integration: type[Model], wanted: dict[int, dict[str, Any]]
    ) -> bool:
        """Whether every (module, company) has its record with the wanted values.

        Without loading every company's records (500 companies are 4,000 records at each
        start): the active company's few are compared here, and one query checks that every
        company has a record of each module with the same values as the active one's.
        """
        import sqlalchemy as sa

        cid, cids = self.env.cid, list(self.env.cids)
        if cid is None or not wanted:
            return not wanted
        mine = {r.module_id: r for r in await Integration.filter(company=cid).all()}
        for module_id, values in wanted.items():
            record = mine.get(module_id)
            if record is None or any(record._values.get(k) != v for k, v in values.items()):
                return False
        table, fields = Integration._table, Integration._fields
        module, company = (table.c[fields[n].column_name] for n in ("module", "company"))
        with self.db.connect() as conn:
            pairs = (
                sa.select(module, company)
                .where(module.in_(list(wanted)), company.in_(cids))
                .distinct()
                .subquery()
            )
            count = sa.select(sa.func.count()).select_from(pairs)
            if conn.execute(count).scalar_one() != len(cids) * len(wanted):
                return False
            theirs = table.alias("theirs")
            columns = {fields[name].column_name for values in wanted.values() for name in values}
            differs = sa.or_(*(theirs.c[c].is_distinct_from(table.c[c]) for c in sorted(columns)))
            stale = (
                sa.select(sa.func.count())
                .select_from(theirs)
                .join(table, sa.and_(module == theirs.c[module.name], company == cid))
                .where(theirs.c[module.name].in_(list(wanted)), differs)
            )
            return conn.execute(stale).scalar_one() == 0

    async def integration(self, identifier: str, company_id: int | None = None) -> Model:
        """The Integration record of a module for the active (or given) company."""
        if INTEGRATION_MODEL not in self.registry:
            raise UserError("The integrations module is not installed.")
        cid = company_id if company_id is not None else self.env.cid
        record = (
            await self.registry[INTEGRATION_MODEL]
            .filter(module__identifier=identifier, company=cid)
            .first()
        )
        if record is None:
            known = ", ".join(m.identifier for m in self.integration_modules())
            raise UserError(f"There is no integration {identifier!r} (integrations: {known}).")
        return record

    def get_model(self, name: str) -> type[Model]:
        return self.registry[name]

    async def close(self) -> None:
        self.db.dispose()
