"""View archs: structural checks, merging of inheriting views and the field list of a form."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ffdesk.engine.errors import ValidationError

__all__ = [
    "CONTAINER_TYPES",
    "ELEMENT_TYPES",
    "FieldElement",
    "ViewArchError",
    "ViewExtension",
    "ViewInheritanceError",
    "iter_field_elements",
    "merge_view_arch",
    "validate_arch",
]

Element = dict[str, Any]
ExtensionForm = Literal["positions", "operations"]

CONTAINER_TYPES: frozenset[str] = frozenset(
    {"fieldset", "row", "paper", "tab", "pageTabs", "accordion"}
)
"""Element types that hold children in ``content``."""

ELEMENT_TYPES: frozenset[str] = CONTAINER_TYPES | {"field", "actionButton"}
"""Every element type a view arch may use."""

_ELEMENT_KEYS = frozenset({"type", "name", "title", "anchor", "content", "properties"})
# Visibility-like properties are a boolean or a Q-expression string; the Q text itself is
# parsed by the Q module when the view is loaded, not here.
_CONDITION_PROPERTIES = ("visible", "readonly", "required")
_TEXT_PROPERTIES = ("widget", "label", "hint", "help")
_POSITION_KINDS = ("after", "before", "inside", "replace", "attributes")
_OPERATION_ACTIONS = ("add", "modify", "remove")
_OPERATION_POSITIONS = ("after", "before", "inside")
# Target keys of the operations form besides the element types themselves.
_TARGET_ATTRIBUTE_KEYS = ("type", "name", "title", "anchor")


class ViewArchError(ValidationError):
    """A view arch is malformed; names the module and file that defined it and the view."""

    def __init__(
        self, message: str, *, module: str, file: str, view: str, target: str | None = None
    ) -> None:
        super().__init__(message)
        self.module = module
        self.file = file
        self.view = view
        self.target = target


class ViewInheritanceError(ViewArchError):
    """An extension of a view cannot be applied; the fault of the extending ``module``.

    ``target`` is what the extension aimed at: the ``<name>`` of a position (``"api_key"``
    for ``after:api_key``) or an operation's target as written (``"{field: 'email'}"``); None
    when the extension is malformed before any target is read.
    """


@dataclass(frozen=True)
class ViewExtension:
    """One inheriting view record: who extends (``module``, ``file``) and with what ``arch``.

    ``form`` is ``"positions"`` (a list of elements each carrying ``position``, the form of the
    reference page) or ``"operations"`` (``{"operations": [...]}``); None detects it.
    """

    module: str
    file: str
    arch: list[Element] | dict[str, Any]
    form: ExtensionForm | None = None


@dataclass(frozen=True)
class FieldElement:
    """A field of a view in document order: its ``name``, its ``properties`` and ``path``,
    the titles of the titled containers around it (outermost first)."""

    name: str
    properties: dict[str, Any]
    path: tuple[str, ...]


class _Problem(Exception):
    """A structural problem found at ``where``; turned into a ViewArchError by the caller."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")


def _message(module: str, file: str, view: str, detail: str) -> str:
    return f"{module} ({file}): {detail} in view {view}"


# --------------------------------------------------------------------------- structure checks


def _check_properties(props: Any, where: str) -> None:
    if not isinstance(props, dict):
        raise _Problem(where, f"'properties' must be a mapping, not {type(props).__name__}")
    for key in _CONDITION_PROPERTIES:
        if key in props and not isinstance(props[key], bool | str):
            raise _Problem(
                where,
                f"property '{key}' must be true, false or a Q-expression string, "
                f"not {props[key]!r}",
            )
    for key in _TEXT_PROPERTIES:
        if key in props and not isinstance(props[key], str):
            raise _Problem(where, f"property '{key}' must be a string, not {props[key]!r}")


def _check_element(element: Any, where: str, *, allowed_keys: frozenset[str]) -> None:
    """Check one element and (recursively) its children, which never carry ``position``."""
    if not isinstance(element, dict):
        raise _Problem(where, f"an element must be a mapping, not {type(element).__name__}")
    unknown = sorted(str(k) for k in element.keys() - allowed_keys)
    if unknown:
        extra = (
            " (only top-level elements of an extension have one)" if "position" in unknown else ""
        )
        raise _Problem(
            where,
            f"unknown key {', '.join(repr(k) for k in unknown)}{extra}; "
            f"allowed: {', '.join(sorted(allowed_keys))}",
        )
    kind = element.get("type")
    if kind not in ELEMENT_TYPES:
        shown = "no 'type'" if kind is None else f"unknown element type {kind!r}"
        raise _Problem(where, f"{shown} (expected one of {', '.join(sorted(ELEMENT_TYPES))})")
    name = element.get("name")
    if kind == "field" and (not isinstance(name, str) or not name):
        raise _Problem(where, "field element has no 'name'")
    for key in ("name", "title", "anchor"):
        if key in element and (not isinstance(element[key], str) or not element[key]):
            raise _Problem(where, f"'{key}' must be a non-empty string, not {element[key]!r}")
    if "properties" in element:
        _check_properties(element["properties"], where)
    if "content" in element:
        content = element["content"]
        if kind not in CONTAINER_TYPES:
            raise _Problem(where, f"a {kind} element cannot have 'content'")
        if not isinstance(content, list):
            raise _Problem(where, f"'content' must be a list, not {type(content).__name__}")
        for i, child in enumerate(content):
            _check_element(child, f"{where}.content[{i}]", allowed_keys=_ELEMENT_KEYS)


def validate_arch(view_identifier: str, arch: Any, *, module: str, file: str) -> None:
    """Check the structure of a (base or merged) view arch; raise ViewArchError if malformed.

    Known element types, a ``name`` on every field, ``content`` only on containers and always a
    list, ``properties`` a mapping with well-typed ``visible``/``readonly``/``required``/
    ``widget``/``label``. Q-expression strings are not parsed here.
    """
    try:
        if not isinstance(arch, list):
            raise _Problem("arch", f"must be a list of elements, not {type(arch).__name__}")
        for i, element in enumerate(arch):
            _check_element(element, f"arch[{i}]", allowed_keys=_ELEMENT_KEYS)
    except _Problem as problem:
        raise ViewArchError(
            _message(module, file, view_identifier, str(problem)),
            module=module,
            file=file,
            view=view_identifier,
        ) from None


# --------------------------------------------------------------------------- copying


def _clone(value: Any) -> Any:
    """Deep copy of YAML-shaped data; much faster than copy.deepcopy on dicts of scalars."""
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool | tuple | frozenset):
        return value  # immutable (tuples from YAML only hold scalars)
    return copy.deepcopy(value)


# --------------------------------------------------------------------------- the tree


class _Tree:
    """A mutable arch with an index from name/title/anchor to elements and from element to
    the list holding it, so that 200 extensions cost 200 look-ups, not 200 tree walks."""

    def __init__(self, view: str, roots: list[Element]) -> None:
        self.view = view
        self.roots = roots
        self._parent: dict[int, list[Element]] = {}
        self._by_key: dict[str, list[Element]] = {}
        self._index_list(roots)

    # Index maintenance. Elements are compared by identity: two equal dicts are two elements.

    @staticmethod
    def _keys(element: Element) -> set[str]:
        return {element[k] for k in ("name", "title", "anchor") if isinstance(element.get(k), str)}

    def _index_list(self, elements: list[Element]) -> None:
        if not isinstance(elements, list):
            raise ValidationError(f"view {self.view}: 'content' must be a list")
        for element in elements:
            self._index(element, elements)

    def _index(self, element: Element, holder: list[Element]) -> None:
        if not isinstance(element, dict):
            raise ValidationError(f"view {self.view}: an element must be a mapping")
        self._parent[id(element)] = holder
        for key in self._keys(element):
            self._by_key.setdefault(key, []).append(element)
        if "content" in element:
            self._index_list(element["content"])

    def _unindex(self, element: Element) -> None:
        self._parent.pop(id(element), None)
        for key in self._keys(element):
            remaining = [e for e in self._by_key.get(key, ()) if e is not element]
            if remaining:
                self._by_key[key] = remaining
            else:
                self._by_key.pop(key, None)
        for child in element.get("content", ()):
            self._unindex(child)

    def contains(self, element: Element) -> bool:
        return id(element) in self._parent

    # Look-ups.

    def find(
        self, key: str | None, match: Callable[[Element], bool] = lambda _element: True
    ) -> Element | None:
        """The first element in document order (depth first) that satisfies ``match``.

        ``key`` is a name/title/anchor the element must carry, used to narrow the search
        through the index; None walks the whole tree.
        """
        if key is not None:
            candidates = [e for e in self._by_key.get(key, ()) if match(e)]
            if len(candidates) <= 1:
                return candidates[0] if candidates else None
            ids = {id(e) for e in candidates}
            return self._first(self.roots, lambda e: id(e) in ids)
        return self._first(self.roots, match)

    def _first(self, elements: list[Element], match: Callable[[Element], bool]) -> Element | None:
        for element in elements:
            if match(element):
                return element
            found = self._first(element.get("content", ()), match)
            if found is not None:
                return found
        return None

    # Edits.

    def _position(self, element: Element) -> tuple[list[Element], int]:
        holder = self._parent[id(element)]
        for i, sibling in enumerate(holder):
            if sibling is element:
                return holder, i
        raise AssertionError("index out of step with the tree")  # a bug in this module

    def insert_after(self, anchor: Element, element: Element) -> None:
        holder, i = self._position(anchor)
        holder.insert(i + 1, element)
        self._index(element, holder)

    def insert_before(self, anchor: Element, element: Element) -> None:
        holder, i = self._position(anchor)
        holder.insert(i, element)
        self._index(element, holder)

    def append_inside(self, container: Element, element: Element) -> None:
        holder = container.setdefault("content", [])
        holder.append(element)
        self._index(element, holder)

    def replace(self, old: Element, new: Element) -> None:
        holder, i = self._position(old)
        self._unindex(old)
        holder[i] = new
        self._index(new, holder)

    def remove(self, element: Element) -> None:
        holder, i = self._position(element)
        self._unindex(element)
        del holder[i]

    def reindexed(self, element: Element, edit: Callable[[], None]) -> None:
        """Run ``edit`` (which changes ``element`` in place) keeping the index in step."""
        holder = self._parent[id(element)]
        self._unindex(element)
        edit()
        self._index(element, holder)


# --------------------------------------------------------------------------- merging


class _Applier:
    """Applies one extension to the tree; knows whom to blame."""

    def __init__(self, tree: _Tree, extension: ViewExtension) -> None:
        self.tree = tree
        self.ext = extension
        # Consecutive ``after:X`` elements of one extension land in their own order: the next
        # one goes after the previous one, not straight after X (which would reverse them).
        # Keyed by id(target) but holding the target too: an id can be reused once its element
        # has been replaced and freed.
        self._after_cursor: dict[int, tuple[Element, Element]] = {}

    def error(self, detail: str, target: str | None = None) -> ViewInheritanceError:
        return ViewInheritanceError(
            _message(self.ext.module, self.ext.file, self.tree.view, detail),
            module=self.ext.module,
            file=self.ext.file,
            view=self.tree.view,
            target=target,
        )

    def checked(self, element: Any, where: str, target: str | None) -> Element:
        """A validated private copy of an element the extension brings."""
        try:
            _check_element(element, where, allowed_keys=_ELEMENT_KEYS)
        except _Problem as problem:
            raise self.error(str(problem), target) from None
        return _clone(element)

    def add(
        self,
        where: str,
        target: Element,
        new: Element,
        label: str,
        target_name: str,
    ) -> None:
        if where == "after":
            anchor = target
            cursor = self._after_cursor.get(id(target))
            if cursor is not None and cursor[0] is target and self.tree.contains(cursor[1]):
                anchor = cursor[1]
            self.tree.insert_after(anchor, new)
            self._after_cursor[id(target)] = (target, new)
        elif where == "before":
            self.tree.insert_before(target, new)
        else:
            if target.get("type") not in CONTAINER_TYPES:
                raise self.error(
                    f"{label} targets a {target.get('type')} element, not a container",
                    target_name,
                )
            self.tree.append_inside(target, new)

    # Form 1: a list of elements, each with ``position: kind:name``.

    def apply_positions(self, arch: Any) -> None:
        if not isinstance(arch, list):
            raise self.error(f"arch must be a list of elements, not {type(arch).__name__}")
        kinds = ", ".join(k + ":<name>" for k in _POSITION_KINDS)
        for i, raw in enumerate(arch):
            where = f"arch[{i}]"
            if not isinstance(raw, dict):
                raise self.error(f"{where}: an element must be a mapping, not {type(raw).__name__}")
            position = raw.get("position")
            if not isinstance(position, str) or not position.strip():
                raise self.error(f"{where}: element has no 'position' (expected one of {kinds})")
            kind, sep, name = (part.strip() for part in position.partition(":"))
            if not sep or kind not in _POSITION_KINDS or not name:
                raise self.error(f"{where}: position {position!r} is not one of {kinds}")
            where = f"{where} ({kind}:{name})"
            body = {k: v for k, v in raw.items() if k != "position"}
            # An element is checked before its target is looked up: a malformed element is
            # reported as such even when its target is missing too.
            new = None if kind == "attributes" else self.checked(body, where, name)
            target = self.tree.find(name)
            if target is None:
                raise self.error(f"position {position!r} targets no element named {name!r}", name)
            if new is None:
                self.merge_attributes(body, target, where, name)
            elif kind == "replace":
                self.tree.replace(target, new)
            else:
                self.add(kind, target, new, f"position {position!r}", name)

    def merge_attributes(self, body: Element, target: Element, where: str, name: str) -> None:
        extra = sorted(body.keys() - {"type", "name", "title", "anchor", "properties"})
        if extra:
            raise self.error(
                f"{where}: an 'attributes:' element only merges 'properties', "
                f"it cannot set {', '.join(repr(k) for k in extra)}",
                name,
            )
        if "type" in body and body["type"] != target.get("type"):
            raise self.error(
                f"{where}: element of type {body['type']!r} cannot change the attributes of "
                f"a {target.get('type')} element",
                name,
            )
        props = body.get("properties")
        if props is None:
            raise self.error(f"{where}: an 'attributes:' element has no 'properties'", name)
        try:
            _check_properties(props, where)
        except _Problem as problem:
            raise self.error(str(problem), name) from None
        target.setdefault("properties", {}).update(_clone(props))

    # Form 2: ``{"operations": [{action, target, position, value}]}``.

    def apply_operations(self, arch: Any) -> None:
        ops = arch.get("operations") if isinstance(arch, dict) else None
        if not isinstance(ops, list) or set(arch) != {"operations"}:
            raise self.error("arch must be a mapping with one key, 'operations', holding a list")
        for i, op in enumerate(ops):
            where = f"operations[{i}]"
            if not isinstance(op, dict):
                raise self.error(f"{where}: an operation must be a mapping")
            unknown = sorted(str(k) for k in op.keys() - {"action", "target", "position", "value"})
            if unknown:
                raise self.error(
                    f"{where}: unknown key {', '.join(repr(k) for k in unknown)}; "
                    "allowed: action, position, target, value"
                )
            action = op.get("action")
            if action not in _OPERATION_ACTIONS:
                raise self.error(
                    f"{where}: action {action!r} is not one of {', '.join(_OPERATION_ACTIONS)}"
                )
            key, match, label = self.target_matcher(op.get("target"), where)
            target = self.tree.find(key, match)
            if target is None:
                raise self.error(f"{where} ({action}) targets no element matching {label}", label)
            value = op.get("value")
            if action == "remove":
                self.tree.remove(target)
            elif action == "modify":
                self.modify(target, value, f"{where}.value", label)
            else:
                position = op.get("position")
                if position not in _OPERATION_POSITIONS:
                    raise self.error(
                        f"{where}: position {position!r} is not one of "
                        f"{', '.join(_OPERATION_POSITIONS)}",
                        label,
                    )
                values = value if isinstance(value, list) else [value]
                for j, item in enumerate(values):
                    item_where = f"{where}.value" + (f"[{j}]" if isinstance(value, list) else "")
                    self.add(position, target, self.checked(item, item_where, label), label, label)

    def target_matcher(
        self, spec: Any, where: str
    ) -> tuple[str | None, Callable[[Element], bool], str]:
        """(index key, predicate, label for messages) of an operation's ``target``."""
        if not isinstance(spec, dict) or not spec:
            raise self.error(f"{where}: 'target' must be a non-empty mapping, not {spec!r}")
        wanted: dict[str, Any] = {}
        for k, v in spec.items():
            if k in ELEMENT_TYPES:
                # {field: email} / {actionButton: x} name the element, {fieldset: T} etc. title it.
                if wanted.get("type", k) != k:
                    raise self.error(f"{where}: target {spec!r} names two element types")
                wanted["type"] = k
                wanted["name" if k in ("field", "actionButton") else "title"] = v
            elif k in _TARGET_ATTRIBUTE_KEYS:
                wanted[k] = v
            else:
                raise self.error(
                    f"{where}: unknown target key {k!r} (expected an element type or one of "
                    f"{', '.join(_TARGET_ATTRIBUTE_KEYS)})"
                )
        label = "{" + ", ".join(f"{k}: {v!r}" for k, v in spec.items()) + "}"
        key = next(
            (wanted[k] for k in ("anchor", "name", "title") if isinstance(wanted.get(k), str)),
            None,
        )

        def match(element: Element) -> bool:
            return all(element.get(k) == v for k, v in wanted.items())

        return key, match, label

    def modify(self, target: Element, value: Any, where: str, label: str) -> None:
        if not isinstance(value, dict) or not value:
            raise self.error(f"{where}: 'modify' needs a non-empty mapping as 'value'", label)
        changes = _clone(value)
        props = changes.pop("properties", None)
        candidate = {**target, **changes}
        if props is not None:
            if not isinstance(props, dict):
                raise self.error(f"{where}: 'properties' must be a mapping", label)
            candidate["properties"] = {**target.get("properties", {}), **props}
        # Check the element as it will be, so a modify cannot leave a malformed view behind.
        try:
            _check_element(candidate, where, allowed_keys=_ELEMENT_KEYS)
        except _Problem as problem:
            raise self.error(str(problem), label) from None

        def edit() -> None:
            target.clear()
            target.update(candidate)

        self.tree.reindexed(target, edit)


def _detect_form(extension: ViewExtension) -> ExtensionForm:
    if extension.form is not None:
        return extension.form
    return "operations" if isinstance(extension.arch, dict) else "positions"


def merge_view_arch(
    view_identifier: str, base_arch: list[Element], extensions: Sequence[ViewExtension]
) -> list[Element]:
    """The arch of ``view_identifier`` with ``extensions`` applied in the given order.

    ``base_arch`` should have passed :func:`validate_arch`. Neither it nor the extensions are
    modified: the base is copied once and every element an extension brings is copied as it
    is inserted. Raises ViewInheritanceError, naming the extending module and file, for an
    extension that is malformed or targets an element the view does not have.
    """
    tree = _Tree(view_identifier, _clone(base_arch))
    for extension in extensions:
        applier = _Applier(tree, extension)
        form = _detect_form(extension)
        if form == "positions":
            applier.apply_positions(extension.arch)
        elif form == "operations":
            applier.apply_operations(extension.arch)
        else:
            raise applier.error(f"unknown extension form {form!r}")
    return tree.roots


def iter_field_elements(arch: list[Element]) -> Iterator[FieldElement]:
    """The field elements of ``arch`` in document order (depth first).

    ``path`` holds the titles of the enclosing containers that have one; untitled containers
    (rows, most papers) are left out. ``properties`` is a copy the caller may change.
    """

    def walk(elements: list[Element], path: tuple[str, ...]) -> Iterator[FieldElement]:
        for element in elements:
            if element.get("type") == "field":
                yield FieldElement(element["name"], dict(element.get("properties", {})), path)
            content = element.get("content")
            if content:
                title = element.get("title")
                yield from walk(content, (*path, title) if title else path)

    return walk(arch, ())
