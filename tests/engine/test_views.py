"""Tests of view arch checks, view inheritance (both forms) and the field list of a form."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffdesk.engine.errors import ValidationError
from ffdesk.engine.views import (
    FieldElement,
    ViewArchError,
    ViewExtension,
    ViewInheritanceError,
    iter_field_elements,
    merge_view_arch,
    validate_arch,
)

VIEW = "integration_form_view"
VISIBLE = "Q(module__identifier__eq='my_service')"


def field(name: str, **props: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "field", "name": name}
    if props:
        element["properties"] = props
    return element


def base_arch() -> list[dict[str, Any]]:
    return [
        {
            "type": "fieldset",
            "title": "General",
            "content": [field("name"), field("module_id", readonly=True), field("enabled")],
        },
        {
            "type": "pageTabs",
            "content": [
                {
                    "type": "tab",
                    "title": "Sync",
                    "anchor": "sync_tab",
                    "content": [
                        {"type": "fieldset", "title": "Schedule", "content": [field("interval")]},
                    ],
                },
                {"type": "tab", "title": "Log", "content": [field("last_sync")]},
            ],
        },
    ]


def ext(arch: Any, module: str = "my_module", file: str = "views/form.yaml") -> ViewExtension:
    return ViewExtension(module=module, file=file, arch=arch)


def names(arch: list[dict[str, Any]]) -> list[str]:
    return [f.name for f in iter_field_elements(arch)]


def merge(*extensions: ViewExtension, base: list[dict[str, Any]] | None = None) -> list[Any]:
    return merge_view_arch(VIEW, base_arch() if base is None else base, extensions)


def general(arch: list[dict[str, Any]]) -> list[str]:
    return [e.get("name") or e.get("title") for e in arch[0]["content"]]


# --------------------------------------------------------------------------- reference page form


def test_reference_page_example_gives_order_and_properties() -> None:
    merged = merge(
        ext(
            [
                {
                    "type": "field",
                    "name": "api_key",
                    "position": "after:enabled",
                    "properties": {"visible": VISIBLE},
                },
                {
                    "type": "field",
                    "name": "api_secret",
                    "position": "after:api_key",
                    "properties": {"widget": "Password", "visible": VISIBLE},
                },
            ]
        )
    )
    assert general(merged) == ["name", "module_id", "enabled", "api_key", "api_secret"]
    fields = {f.name: f for f in iter_field_elements(merged)}
    assert fields["api_key"].properties == {"visible": VISIBLE}
    assert fields["api_secret"].properties == {"widget": "Password", "visible": VISIBLE}
    assert fields["api_secret"].path == ("General",)
    assert all("position" not in e for e in merged[0]["content"])


def test_after_places_element_right_after_target() -> None:
    merged = merge(ext([{**field("x"), "position": "after:name"}]))
    assert general(merged) == ["name", "x", "module_id", "enabled"]


def test_before_places_element_right_before_target() -> None:
    merged = merge(ext([{**field("x"), "position": "before:enabled"}]))
    assert general(merged) == ["name", "module_id", "x", "enabled"]


def test_inside_appends_to_container_content() -> None:
    merged = merge(ext([{**field("x"), "position": "inside:General"}]))
    assert general(merged) == ["name", "module_id", "enabled", "x"]


def test_inside_creates_missing_content() -> None:
    base = [{"type": "fieldset", "title": "Empty"}]
    merged = merge(ext([{**field("x"), "position": "inside:Empty"}]), base=base)
    assert merged == [{"type": "fieldset", "title": "Empty", "content": [field("x")]}]


def test_inside_a_nested_container() -> None:
    merged = merge(ext([{**field("retries"), "position": "inside:Schedule"}]))
    schedule = merged[1]["content"][0]["content"][0]
    assert [e["name"] for e in schedule["content"]] == ["interval", "retries"]
    assert FieldElement("retries", {}, ("Sync", "Schedule")) in list(iter_field_elements(merged))


def test_container_title_as_target() -> None:
    new_box = {"type": "fieldset", "title": "Credentials", "content": [field("api_key")]}
    merged = merge(ext([{**new_box, "position": "after:General"}]))
    assert [e.get("title") for e in merged] == ["General", "Credentials", None]
    assert names(merged)[:4] == ["name", "module_id", "enabled", "api_key"]


def test_anchor_as_target() -> None:
    merged = merge(ext([{**field("x"), "position": "inside:sync_tab"}]))
    tab = merged[1]["content"][0]
    assert [e.get("name") or e.get("title") for e in tab["content"]] == ["Schedule", "x"]


def test_replace_swaps_the_target_for_the_element() -> None:
    merged = merge(ext([{**field("module_id", label="Provider"), "position": "replace:module_id"}]))
    assert merged[0]["content"][1] == field("module_id", label="Provider")  # readonly is gone


def test_replace_a_container_with_its_children() -> None:
    merged = merge(ext([{"type": "paper", "anchor": "p", "position": "replace:Log"}]))
    assert merged[1]["content"][1] == {"type": "paper", "anchor": "p"}
    assert "last_sync" not in names(merged)


def test_replaced_element_can_no_longer_be_targeted() -> None:
    with pytest.raises(ViewInheritanceError, match="targets no element named 'last_sync'"):
        merge(
            ext([{"type": "paper", "position": "replace:Log"}]),
            ext([{**field("x"), "position": "after:last_sync"}], module="other"),
        )


def test_attributes_merge_into_target_properties() -> None:
    merged = merge(
        ext(
            [
                {"position": "attributes:module_id", "properties": {"visible": False}},
                {"type": "field", "position": "attributes:enabled", "properties": {"label": "On"}},
            ]
        )
    )
    assert merged[0]["content"][1]["properties"] == {"readonly": True, "visible": False}
    assert merged[0]["content"][2]["properties"] == {"label": "On"}


def test_attributes_override_existing_property() -> None:
    merged = merge(ext([{"position": "attributes:module_id", "properties": {"readonly": VISIBLE}}]))
    assert merged[0]["content"][1]["properties"] == {"readonly": VISIBLE}


def test_attributes_on_a_container() -> None:
    merged = merge(ext([{"position": "attributes:Sync", "properties": {"visible": VISIBLE}}]))
    assert merged[1]["content"][0]["properties"] == {"visible": VISIBLE}


def test_consecutive_after_same_target_keep_their_order() -> None:
    merged = merge(
        ext(
            [
                {**field("a"), "position": "after:name"},
                {**field("b"), "position": "after:name"},
                {**field("c"), "position": "after:name"},
            ]
        )
    )
    assert general(merged) == ["name", "a", "b", "c", "module_id", "enabled"]


def test_later_extension_goes_closest_to_a_shared_target() -> None:
    merged = merge(
        ext([{**field("first"), "position": "after:name"}], module="m1"),
        ext([{**field("second"), "position": "after:name"}], module="m2"),
    )
    assert general(merged) == ["name", "second", "first", "module_id", "enabled"]


def test_later_extension_can_target_elements_of_an_earlier_one() -> None:
    merged = merge(
        ext([{**field("api_key"), "position": "after:enabled"}], module="m1"),
        ext([{"position": "attributes:api_key", "properties": {"required": True}}], module="m2"),
    )
    assert merged[0]["content"][3] == field("api_key", required=True)


def test_first_match_in_document_order_wins() -> None:
    # Both the new top-level field and the one in "General" are called "name"; the new one
    # comes first in the document, so the later extension changes it.
    merged = merge(
        ext([{**field("name"), "position": "before:General"}], module="m1"),
        ext([{"position": "attributes:name", "properties": {"label": "Top"}}], module="m2"),
    )
    assert merged[0] == field("name", label="Top")
    assert merged[1]["content"][0] == field("name")


def test_title_and_name_matches_in_document_order() -> None:
    base = [{"type": "fieldset", "title": "token", "content": [field("token")]}]
    merged = merge(ext([{**field("x"), "position": "after:token"}]), base=base)
    assert [e.get("name") or e.get("title") for e in merged] == ["token", "x"]


# --------------------------------------------------------------------------- errors


def test_missing_target_is_an_error_of_the_extending_module() -> None:
    extension = ext([{**field("api_secret"), "position": "after:api_kee"}])
    with pytest.raises(ViewInheritanceError) as info:
        merge(ext([{**field("fine"), "position": "after:name"}], module="base_ok"), extension)
    error = info.value
    assert (error.module, error.file, error.target, error.view) == (
        "my_module",
        "views/form.yaml",
        "api_kee",
        VIEW,
    )
    assert str(error) == (
        "my_module (views/form.yaml): position 'after:api_kee' targets no element named "
        "'api_kee' in view integration_form_view"
    )
    assert "\n" not in str(error)
    assert isinstance(error, ValidationError)


def test_element_without_position_is_an_error() -> None:
    with pytest.raises(ViewInheritanceError, match=r"arch\[1\]: element has no 'position'"):
        merge(ext([{**field("a"), "position": "after:name"}, field("b")]))


@pytest.mark.parametrize("position", ["after", "after:", "around:name", "name"])
def test_malformed_position_is_an_error(position: str) -> None:
    with pytest.raises(ViewInheritanceError, match="is not one of after:<name>"):
        merge(ext([{**field("a"), "position": position}]))


def test_inside_a_field_is_an_error() -> None:
    with pytest.raises(ViewInheritanceError, match="targets a field element, not a container"):
        merge(ext([{**field("a"), "position": "inside:name"}]))


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ({"type": "feild", "name": "a"}, "unknown element type 'feild'"),
        ({"name": "a"}, "no 'type'"),
        ({"type": "field"}, "field element has no 'name'"),
        ({"type": "field", "name": ""}, "field element has no 'name'"),
        ({"type": "fieldset", "content": field("a")}, "'content' must be a list"),
        ({"type": "field", "name": "a", "content": []}, "field element cannot have 'content'"),
        ({"type": "field", "name": "a", "properties": {"visible": 1}}, "property 'visible'"),
        ({"type": "field", "name": "a", "properties": {"widget": 3}}, "property 'widget'"),
        ({"type": "field", "name": "a", "properties": []}, "'properties' must be a mapping"),
        ({"type": "field", "name": "a", "propeties": {}}, "unknown key 'propeties'"),
        ({"type": "fieldset", "title": 5}, "'title' must be a non-empty string"),
        (
            {"type": "fieldset", "content": [{**field("b"), "position": "after:name"}]},
            r"content\[0\]: unknown key 'position' \(only top-level",
        ),
    ],
)
def test_malformed_extension_element_is_an_error(element: dict[str, Any], message: str) -> None:
    with pytest.raises(ViewInheritanceError, match=message) as info:
        merge(ext([{**element, "position": "after:name"}]))
    assert str(info.value).startswith("my_module (views/form.yaml): arch[0] (after:name)")


def test_malformed_element_reported_before_missing_target() -> None:
    with pytest.raises(ViewInheritanceError, match="field element has no 'name'"):
        merge(ext([{"type": "field", "position": "after:nowhere"}]))


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ({"content": []}, "only merges 'properties', it cannot set 'content'"),
        ({"type": "fieldset", "properties": {}}, "cannot change the attributes of a field"),
        ({}, "has no 'properties'"),
        ({"properties": {"required": [1]}}, "property 'required'"),
    ],
)
def test_malformed_attributes_element_is_an_error(element: dict[str, Any], message: str) -> None:
    with pytest.raises(ViewInheritanceError, match=message):
        merge(ext([{**element, "position": "attributes:name"}]))


def test_arch_of_wrong_shape_is_an_error() -> None:
    with pytest.raises(ViewInheritanceError, match="arch must be a list"):
        merge(ViewExtension("m", "f.yaml", {"operations": []}, form="positions"))
    with pytest.raises(ViewInheritanceError, match="mapping with one key, 'operations'"):
        merge(ViewExtension("m", "f.yaml", [], form="operations"))


def test_failed_merge_leaves_inputs_untouched() -> None:
    base = base_arch()
    extension = ext([{**field("a"), "position": "after:name"}, field("b")])
    before = copy.deepcopy((base, extension.arch))
    with pytest.raises(ViewInheritanceError):
        merge(extension, base=base)
    assert (base, extension.arch) == before


# --------------------------------------------------------------------------- no mutation


def test_inputs_are_not_mutated_and_output_shares_nothing() -> None:
    base = base_arch()
    extensions = [
        ext(
            [
                {**field("api_key", visible=VISIBLE), "position": "after:enabled"},
                {"position": "attributes:module_id", "properties": {"choices": ["a", "b"]}},
                {"type": "fieldset", "title": "X", "content": [], "position": "inside:Sync"},
                {**field("x"), "position": "inside:X"},
                {"type": "paper", "position": "replace:Log"},
            ]
        ),
        ext(
            {
                "operations": [
                    {"action": "modify", "target": {"field": "name"}, "value": {"anchor": "n"}},
                    {"action": "remove", "target": {"field": "interval"}},
                ]
            }
        ),
    ]
    snapshot = copy.deepcopy((base, [e.arch for e in extensions]))
    merged = merge_view_arch(VIEW, base, extensions)
    assert (base, [e.arch for e in extensions]) == snapshot

    # Changing every dict and list of the result must not reach the inputs.
    def scribble(value: Any) -> None:
        if isinstance(value, dict):
            for child in list(value.values()):
                scribble(child)
            value["scribbled"] = True
        elif isinstance(value, list):
            for child in value:
                scribble(child)
            value.append("scribbled")

    scribble(merged)
    assert (base, [e.arch for e in extensions]) == snapshot


def test_merge_without_extensions_is_an_equal_copy() -> None:
    base = base_arch()
    merged = merge_view_arch(VIEW, base, [])
    assert merged == base
    assert merged is not base
    assert merged[0]["content"] is not base[0]["content"]


# --------------------------------------------------------------------------- operations form


def ops(*operations: dict[str, Any], module: str = "my_module") -> ViewExtension:
    return ext({"operations": list(operations)}, module=module)


def test_operations_add_after_before_inside() -> None:
    merged = merge(
        ops(
            {
                "action": "add",
                "target": {"field": "enabled"},
                "position": "after",
                "value": field("a"),
            },
            {
                "action": "add",
                "target": {"field": "name"},
                "position": "before",
                "value": field("b"),
            },
            {
                "action": "add",
                "target": {"fieldset": "Schedule"},
                "position": "inside",
                "value": field("c"),
            },
        )
    )
    assert general(merged) == ["b", "name", "module_id", "enabled", "a"]
    assert names(merged)[-3:] == ["interval", "c", "last_sync"]


def test_operations_add_a_list_of_values_in_order() -> None:
    merged = merge(
        ops(
            {
                "action": "add",
                "target": {"field": "name"},
                "position": "after",
                "value": [field("a"), field("b")],
            }
        )
    )
    assert general(merged) == ["name", "a", "b", "module_id", "enabled"]


def test_operations_modify_merges_properties_and_sets_keys() -> None:
    merged = merge(
        ops(
            {
                "action": "modify",
                "target": {"field": "module_id"},
                "value": {"properties": {"visible": VISIBLE}, "anchor": "provider"},
            },
            {
                "action": "modify",
                "target": {"type": "tab", "title": "Log"},
                "value": {"title": "History"},
            },
            {
                "action": "add",
                "target": {"anchor": "provider"},
                "position": "after",
                "value": field("a"),
            },
        )
    )
    assert merged[0]["content"][1] == {
        "type": "field",
        "name": "module_id",
        "properties": {"readonly": True, "visible": VISIBLE},
        "anchor": "provider",
    }
    assert general(merged) == ["name", "module_id", "a", "enabled"]
    assert merged[1]["content"][1]["title"] == "History"
    assert FieldElement("last_sync", {}, ("History",)) in list(iter_field_elements(merged))


def test_operations_modify_renames_in_the_index() -> None:
    rename = {"action": "modify", "target": {"tab": "Log"}, "value": {"title": "History"}}
    add_to = {"action": "add", "position": "inside", "value": field("x")}
    merged = merge(ops(rename, {**add_to, "target": {"tab": "History"}}))
    assert names(merged)[-1] == "x"
    with pytest.raises(ViewInheritanceError, match=r"targets no element matching \{tab: 'Log'\}"):
        merge(ops(rename, {**add_to, "target": {"tab": "Log"}}))
    with pytest.raises(ViewInheritanceError, match="targets no element named 'Log'"):
        merge(ops(rename), ext([{**field("x"), "position": "inside:Log"}], module="other"))


def test_operations_modify_cannot_leave_a_malformed_element() -> None:
    with pytest.raises(ViewInheritanceError, match="'content' must be a list"):
        merge(ops({"action": "modify", "target": {"tab": "Log"}, "value": {"content": "x"}}))


def test_operations_remove() -> None:
    merged = merge(
        ops(
            {"action": "remove", "target": {"field": "module_id"}},
            {"action": "remove", "target": {"anchor": "sync_tab"}},
        )
    )
    assert names(merged) == ["name", "enabled", "last_sync"]


def test_operations_removed_children_can_no_longer_be_targeted() -> None:
    with pytest.raises(ViewInheritanceError, match="targets no element matching"):
        merge(
            ops(
                {"action": "remove", "target": {"anchor": "sync_tab"}},
                {"action": "remove", "target": {"field": "interval"}},
            )
        )


def test_operations_target_by_type_only_takes_the_first() -> None:
    merged = merge(
        ops({"action": "modify", "target": {"type": "tab"}, "value": {"properties": {"x": 1}}})
    )
    assert merged[1]["content"][0]["properties"] == {"x": 1}
    assert "properties" not in merged[1]["content"][1]


def test_operations_type_and_name_must_both_match() -> None:
    # "General" is a fieldset title; a {tab: General} target must not pick it.
    with pytest.raises(ViewInheritanceError) as info:
        merge(ops({"action": "remove", "target": {"tab": "General"}}, module="shop"))
    assert str(info.value) == (
        "shop (views/form.yaml): operations[0] (remove) targets no element matching "
        "{tab: 'General'} in view integration_form_view"
    )
    assert info.value.target == "{tab: 'General'}"


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"action": "delete", "target": {"field": "name"}}, "action 'delete' is not one of"),
        ({"action": "remove"}, "'target' must be a non-empty mapping"),
        ({"action": "remove", "target": {"colour": "x"}}, "unknown target key 'colour'"),
        ({"action": "remove", "target": {"field": "a", "tab": "b"}}, "names two element types"),
        (
            {"action": "add", "target": {"field": "name"}, "value": field("x")},
            "position None is not one of after, before, inside",
        ),
        (
            {"action": "add", "target": {"field": "name"}, "position": "after", "value": {}},
            r"operations\[0\]\.value: no 'type'",
        ),
        ({"action": "modify", "target": {"field": "name"}}, "needs a non-empty mapping"),
        ({"action": "remove", "target": {"field": "name"}, "where": 1}, "unknown key 'where'"),
        ("remove", "an operation must be a mapping"),
    ],
)
def test_malformed_operation_is_an_error(operation: Any, message: str) -> None:
    with pytest.raises(ViewInheritanceError, match=message):
        merge(ops(operation))


def test_both_forms_give_the_same_result() -> None:
    positions = ext(
        [
            {**field("api_key", visible=VISIBLE), "position": "after:enabled"},
            {**field("api_secret", widget="Password"), "position": "after:api_key"},
            {"position": "attributes:module_id", "properties": {"visible": False}},
            {**field("x"), "position": "inside:sync_tab"},
        ]
    )
    operations = ops(
        {
            "action": "add",
            "target": {"field": "enabled"},
            "position": "after",
            "value": field("api_key", visible=VISIBLE),
        },
        {
            "action": "add",
            "target": {"field": "api_key"},
            "position": "after",
            "value": field("api_secret", widget="Password"),
        },
        {
            "action": "modify",
            "target": {"field": "module_id"},
            "value": {"properties": {"visible": False}},
        },
        {
            "action": "add",
            "target": {"anchor": "sync_tab"},
            "position": "inside",
            "value": field("x"),
        },
    )
    assert merge(positions) == merge(operations)


# --------------------------------------------------------------------------- validate_arch


def test_validate_arch_accepts_a_good_view() -> None:
    validate_arch(VIEW, base_arch(), module="integrations", file="views/integration.yaml")


@pytest.mark.parametrize(
    ("arch", "message"),
    [
        ({"type": "field"}, "arch: must be a list of elements, not dict"),
        ([{"type": "field", "name": "a", "position": "after:b"}], r"arch\[0\]: unknown key"),
        (
            [{"type": "tab", "content": [{"type": "row", "content": [{"type": "field"}]}]}],
            r"arch\[0\]\.content\[0\]\.content\[0\]: field element has no 'name'",
        ),
        ([{"type": "row", "content": None}], "'content' must be a list, not NoneType"),
        (["field"], r"arch\[0\]: an element must be a mapping, not str"),
    ],
)
def test_validate_arch_rejects_malformed_views(arch: Any, message: str) -> None:
    with pytest.raises(ViewArchError, match=message) as info:
        validate_arch(VIEW, arch, module="integrations", file="views/integration.yaml")
    assert str(info.value).startswith("integrations (views/integration.yaml): ")
    assert str(info.value).endswith(f" in view {VIEW}")
    assert (info.value.module, info.value.file) == ("integrations", "views/integration.yaml")
    assert not isinstance(info.value, ViewInheritanceError)


# --------------------------------------------------------------------------- field list


def test_iter_field_elements_in_document_order_with_paths() -> None:
    merged = merge()
    assert list(iter_field_elements(merged)) == [
        FieldElement("name", {}, ("General",)),
        FieldElement("module_id", {"readonly": True}, ("General",)),
        FieldElement("enabled", {}, ("General",)),
        FieldElement("interval", {}, ("Sync", "Schedule")),  # the untitled pageTabs is left out
        FieldElement("last_sync", {}, ("Log",)),
    ]


def test_iter_field_elements_gives_copies_of_properties() -> None:
    arch = base_arch()
    for element in iter_field_elements(arch):
        element.properties["changed"] = True
    assert arch == base_arch()


def test_iter_field_elements_skips_action_buttons() -> None:
    arch = [{"type": "actionButton", "name": "action_sync"}, field("a")]
    assert names(arch) == ["a"]


# --------------------------------------------------------------------------- properties, scale

BASE_FIELDS = [f"f{i}" for i in range(8)]
CONTAINERS = ["Box A", "Box B"]


def property_base() -> list[dict[str, Any]]:
    return [
        {"type": "fieldset", "title": "Box A", "content": [field(n) for n in BASE_FIELDS[:4]]},
        {"type": "fieldset", "title": "Box B", "content": [field(n) for n in BASE_FIELDS[4:]]},
    ]


@st.composite
def independent_extensions(draw: st.DrawFn) -> list[ViewExtension]:
    """Extensions each targeting a different base element, in either form."""
    targets = draw(st.lists(st.sampled_from(BASE_FIELDS + CONTAINERS), unique=True, min_size=1))
    extensions = []
    for i, target in enumerate(targets):
        kinds = ["inside", "attributes"] if target in CONTAINERS else ["after", "before"]
        kinds += ["attributes", "replace"] if target in BASE_FIELDS else []
        kind = draw(st.sampled_from(kinds))
        new = field(f"new{i}", label=f"from m{i}")
        if kind == "attributes":
            element: dict[str, Any] = {"properties": {"label": f"m{i}", f"p{i}": True}}
        else:
            element = new
        if draw(st.booleans()) or kind == "replace":
            arch: Any = [{**element, "position": f"{kind}:{target}"}]
        else:
            key = "fieldset" if target in CONTAINERS else "field"
            action = "modify" if kind == "attributes" else "add"
            op = {"action": action, "target": {key: target}, "value": element}
            if action == "add":
                op["position"] = kind
            arch = {"operations": [op]}
        extensions.append(ViewExtension(f"m{i}", f"views/m{i}.yaml", arch))
    return extensions


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_independent_extensions_commute(data: st.DataObject) -> None:
    extensions = data.draw(independent_extensions())
    shuffled = data.draw(st.permutations(extensions))
    expected = merge_view_arch(VIEW, property_base(), extensions)
    assert merge_view_arch(VIEW, property_base(), shuffled) == expected
    assert len(list(iter_field_elements(expected))) >= len(BASE_FIELDS)


def test_two_hundred_chained_extensions() -> None:
    extensions = [
        ext([{**field(f"x{i}"), "position": f"after:{'enabled' if i == 0 else f'x{i - 1}'}"}])
        for i in range(200)
    ]
    extensions += [
        ext([{"position": f"attributes:x{i}", "properties": {"required": True}}], module=f"m{i}")
        for i in range(0, 200, 2)
    ]
    merged = merge(*extensions)
    assert general(merged) == ["name", "module_id", "enabled"] + [f"x{i}" for i in range(200)]
    required = [f.name for f in iter_field_elements(merged) if f.properties.get("required")]
    assert required == [f"x{i}" for i in range(0, 200, 2)]
