"""Provider modules share one Integration class: only the documented chain may be overridden."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from ffdesk.paths import SHIPPED_MODULES

# Methods every provider overrides with the detection pattern, calling super() when not its own.
CHAIN = {
    "enable_integration",
    "disable_integration",
    "check_connection",
    "sync_capability",
    "sync_integration",
    "get_state",
    "record_dashboard_url",
}


def _integration_methods() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(SHIPPED_MODULES.glob("*/models/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            inherit = None
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and isinstance(statement.targets[0], ast.Name)
                    and statement.targets[0].id == "__inherit__"
                    and isinstance(statement.value, ast.Constant)
                ):
                    inherit = statement.value.value
            if inherit != "Integration":
                continue
            for statement in node.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[statement.name].append(path.parts[-3])
    return found


def test_shipped_providers_extend_integration() -> None:
    methods = _integration_methods()
    assert {"payment_stripe", "payment_paypal", "sms_twilio"} <= set(methods["check_connection"])


def test_no_two_modules_define_the_same_helper_on_integration() -> None:
    """A helper defined by two modules would silently replace the other's (last one wins)."""
    clashes = {
        name: modules
        for name, modules in _integration_methods().items()
        if name not in CHAIN and len(set(modules)) > 1
    }
    assert clashes == {}


def test_chain_overrides_call_super() -> None:
    """Each chain override hands other integrations on (the detection pattern)."""
    missing = []
    for path in sorted(Path(SHIPPED_MODULES).glob("*/models/*.py")):
        if path.parts[-3] == "integrations":
            continue  # the base of the chain
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in CHAIN:
                calls = [
                    n
                    for n in ast.walk(node)
                    if isinstance(n, ast.Attribute)
                    and n.attr == node.name
                    and isinstance(n.value, ast.Call)
                    and getattr(n.value.func, "id", None) == "super"
                ]
                if not calls:
                    missing.append(f"{path.parts[-3]}.{node.name}")
    assert missing == []
