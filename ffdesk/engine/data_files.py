"""Reads a module's data files (`views/*.yaml`, `data/*.yaml`) into record descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ffdesk.engine.errors import ValidationError
from ffdesk.engine.manifest import fast_safe_load

DATA_FOLDERS = ("views", "data")
#: Models a data file may create records of, and the key that identifies a record.
DATA_MODELS = {"UiView": "identifier", "CronJob": "identifier"}


class DataFileError(ValidationError):
    """A data file cannot be read; the message names the module, file and line."""


@dataclass
class DataRecord:
    """One record described in a data file."""

    module: str
    file: str
    sequence: int
    model: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def identifier(self) -> str:
        return str(self.values.get("identifier", ""))


def data_files(folder: Path) -> list[Path]:
    """The module's data files: views first, then data, each in name order."""
    found: list[Path] = []
    for sub in DATA_FOLDERS:
        directory = folder / sub
        if directory.is_dir():
            found.extend(sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")))
    return found


def read_data_files(identifier: str, folder: Path) -> list[DataRecord]:
    """Parse every data file of a module; raise DataFileError on the first bad one."""
    records: list[DataRecord] = []
    for path in data_files(folder):
        rel = path.relative_to(folder).as_posix()
        try:
            content = fast_safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise DataFileError(f"{identifier} ({rel}{where}): bad YAML: {problem}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(f"{identifier} ({rel}): cannot be read: {exc}") from None
        if content is None:
            continue
        if isinstance(content, dict):
            content = [content]
        if not isinstance(content, list):
            raise DataFileError(
                f"{identifier} ({rel}): expected a list of records, got {type(content).__name__}."
            )
        for index, item in enumerate(content):
            records.append(_record(identifier, rel, index, item, len(records)))
    return records


def _record(identifier: str, rel: str, index: int, item: Any, sequence: int) -> DataRecord:
    where = f"{identifier} ({rel}, record {index + 1})"
    if not isinstance(item, dict):
        raise DataFileError(f"{where}: expected a mapping, got {type(item).__name__}.")
    values = dict(item)
    model = values.pop("data_type", None)
    if model not in DATA_MODELS:
        allowed = ", ".join(DATA_MODELS)
        raise DataFileError(f"{where}: data_type must be one of {allowed}, got {model!r}.")
    key = DATA_MODELS[model]
    if not isinstance(values.get(key), str) or not values[key]:
        raise DataFileError(f"{where}: {model} records need a text {key!r}.")
    if model == "UiView":
        inherit = values.pop("__inherit__", None) or values.pop("inherited_view", None)
        if inherit is not None:
            values["inherit"] = str(inherit)
        if "arch" not in values:
            raise DataFileError(f"{where}: view {values[key]!r} has no arch.")
    return DataRecord(identifier, rel, sequence, str(model), values)
