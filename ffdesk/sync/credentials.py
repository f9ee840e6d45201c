"""Credential checks for provider modules: a module states its rules, ffdesk finds and runs them.

Every provider extends the one Integration model, so each used to override
`check_credentials()` with the same "call super, and add mine if the record is mine" lines.
Now a module marks its rules with `@credential_rules(IDENTIFIER)`; the base
`Integration.check_credentials()` runs the rules of the record's own module.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

Rules = TypeVar("Rules", bound=Callable[[Any], Mapping[str, str]])
_MARK = "_ffdesk_credential_rules_of"
# {Integration class: {module identifier: rules}}: found once per class (classes are rebuilt
# when modules are installed, so the entry of an old class goes with it).
_found: weakref.WeakKeyDictionary[type, dict[str, Callable[[Any], Mapping[str, str]]]] = (
    weakref.WeakKeyDictionary()
)


def credential_rules(identifier: str) -> Callable[[Rules], Rules]:
    """Mark `method(self) -> {field name: sentence}` as the typed-credential rules of module
    `identifier`'s integrations: no network, no await, {} when all is well."""

    def mark(method: Rules) -> Rules:
        setattr(method, _MARK, identifier)
        return method

    return mark


def _rules_by_module(cls: type) -> dict[str, Callable[[Any], Mapping[str, str]]]:
    found = _found.get(cls)
    if found is None:
        found = {}
        for klass in reversed(cls.__mro__):  # the most derived marking wins
            for value in vars(klass).values():
                identifier = getattr(value, _MARK, None)
                if isinstance(identifier, str) and callable(value):
                    found[identifier] = value
        _found[cls] = found
    return found


def credential_problems(record: Any) -> dict[str, str]:
    """{field name: sentence} by the rules of the record's own module ({} when it has none)."""
    rules = _rules_by_module(type(record)).get(record.module_identifier())
    return dict(rules(record)) if rules is not None else {}


def credential_problem(record: Any) -> str | None:
    """The first sentence of `record.check_credentials()`, or None: what Test connection
    answers and a sync refuses with before anything is sent."""
    return next(iter(record.check_credentials().values()), None)
