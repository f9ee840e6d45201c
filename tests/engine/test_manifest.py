"""Tests for ffdesk.engine.manifest: loading, validation reasons and static paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.engine.manifest import (
    ALLOWED_KEYS,
    DEFAULT_INTEGRATION_CATEGORIES,
    Manifest,
    ManifestError,
    check_integration_category,
    key_line,
    load_manifest,
    resolve_static_path,
)

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "broken_modules"
MINIMAL = "name: M\nidentifier: m\ndependencies: []\n"
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>\n'


def make_module(
    root: Path,
    identifier: str,
    *,
    dependencies: list[str] | None = None,
    integration_category: str | None = None,
    extra: dict[str, Any] | None = None,
    text: str | None = None,
) -> Path:
    """Write `<root>/<identifier>/manifest.yaml` (an integration module when a category is given).

    `text` replaces the whole manifest; otherwise it is dumped from the arguments.
    """
    folder = root / identifier
    folder.mkdir(parents=True, exist_ok=True)
    if text is None:
        data: dict[str, Any] = {
            "name": identifier.replace("_", " ").title(),
            "identifier": identifier,
            "dependencies": list(dependencies or []),
        }
        if integration_category is not None:
            data |= {
                "category": "module_category_integrations",
                "integration_category": integration_category,
                "image": "/static/img/logo.svg",
                "static_paths": ["img"],
            }
            (folder / "static" / "img").mkdir(parents=True, exist_ok=True)
            (folder / "static" / "img" / "logo.svg").write_text(LOGO)
        data |= extra or {}
        text = yaml.safe_dump(data, sort_keys=False)
    (folder / "manifest.yaml").write_text(text, encoding="utf-8")
    return folder


def reason(folder: Path, **kwargs: Any) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load_manifest(folder, **kwargs)
    return info.value


# --- healthy manifests -----------------------------------------------------------------------


def test_reference_page_manifest_loads(tmp_path: Path) -> None:
    folder = make_module(
        tmp_path,
        "payment_stripe",
        text="""\
name: Stripe Payments
identifier: payment_stripe
version: '1.0'
category: module_category_integrations
integration_category: Online Payment   # links to backbone module
description: Accept payments via Stripe
dependencies:
- online_payment                       # backbone module dependency
icon: CreditCard
image: /static/img/stripe_logo.svg
static_paths:
- img
cron_sync_method: sync_stripe
""",
    )
    (folder / "static" / "img").mkdir(parents=True)
    (folder / "static" / "img" / "stripe_logo.svg").write_text(LOGO)

    manifest = load_manifest(folder)

    assert manifest == Manifest(
        name="Stripe Payments",
        identifier="payment_stripe",
        version="1.0",
        category="module_category_integrations",
        integration_category="Online Payment",
        description="Accept payments via Stripe",
        icon="CreditCard",
        image="/static/img/stripe_logo.svg",
        static_paths=("img",),
        cron_sync_method="sync_stripe",
        implicit=False,
        dependencies=("online_payment",),
    )
    assert manifest.is_integration
    assert resolve_static_path(folder, manifest, manifest.image or "") == (
        folder / "static" / "img" / "stripe_logo.svg"
    )


def test_minimal_manifest_has_defaults(tmp_path: Path) -> None:
    text = "name: Contacts\nidentifier: contacts\ndependencies: []\nimplicit: true\n"
    folder = make_module(tmp_path, "contacts", text=text)

    manifest = load_manifest(folder)

    assert manifest.dependencies == ()
    assert manifest.static_paths == ()
    assert manifest.implicit is True
    assert manifest.version is None and manifest.category is None and manifest.image is None
    assert not manifest.is_integration


@pytest.mark.parametrize(("written", "expected"), [("1.0", "1.0"), ("2", "2"), ("'1.10'", "1.10")])
def test_version_given_as_number_becomes_text(tmp_path: Path, written: str, expected: str) -> None:
    folder = make_module(tmp_path, "m", text=f"{MINIMAL}version: {written}\n")
    assert load_manifest(folder).version == expected


def test_repeated_dependency_is_kept_once(tmp_path: Path) -> None:
    folder = make_module(tmp_path, "m", dependencies=["a", "b", "a"])
    assert load_manifest(folder).dependencies == ("a", "b")


def test_static_paths_entry_with_static_prefix_means_the_same_folder(tmp_path: Path) -> None:
    folder = make_module(
        tmp_path, "m", integration_category="Shipping", extra={"static_paths": ["static/img"]}
    )
    manifest = load_manifest(folder)
    assert manifest.static_paths == ("static/img",)
    assert resolve_static_path(folder, manifest, "/static/img/logo.svg") == (
        folder / "static" / "img" / "logo.svg"
    )


def test_shipping_needs_no_backbone_and_messaging_needs_messaging(tmp_path: Path) -> None:
    assert load_manifest(make_module(tmp_path, "ship", integration_category="Shipping"))
    sms = make_module(tmp_path, "sms_x", integration_category="Messaging")
    assert "requires the backbone module 'messaging'" in str(reason(sms))
    ok = make_module(
        tmp_path, "sms_y", integration_category="Messaging", dependencies=["messaging"]
    )
    assert load_manifest(ok).dependencies == ("messaging",)


def test_manifest_is_immutable(tmp_path: Path) -> None:
    manifest = load_manifest(make_module(tmp_path, "m"))
    with pytest.raises(AttributeError):
        manifest.name = "other"  # type: ignore[misc]


# --- the broken corpus: each manifest-level fixture has its own reason ------------------------

CORPUS_REASONS = [
    ("bad_yaml", 4, "bad YAML: mapping values are not allowed here"),
    ("missing_name", None, "missing required key 'name'"),
    ("mistyped_key", 7, "unknown key 'dependancies' (did you mean 'dependencies'?)"),
    ("wrong_identifier", 2, "identifier 'payment_something_else' does not match the folder name"),
    ("identifier_not_string", 2, "'identifier' must be a text, got 12345 (a number)"),
    ("identifier_bad_chars", 2, "identifier 'Identifier-Bad-Chars' must match [a-z][a-z0-9_]*"),
    ("not_a_mapping", 1, "expected a mapping of keys, got a list"),
    ("empty_manifest", None, "the file is empty"),
    ("dependencies_not_list", 7, "'dependencies' must be a list of module identifiers"),
    ("missing_integration_category", 4, "'integration_category' is required"),
    ("missing_image", 10, "file static/img/missing_logo.svg does not exist"),
    ("image_outside_static_paths", 10, "is not under one of static_paths (img)"),
    ("missing_backbone", 7, "requires the backbone module 'online_payment' among dependencies"),
]


@pytest.mark.parametrize(("folder", "line", "expected"), CORPUS_REASONS)
def test_corpus_manifest_reasons(folder: str, line: int | None, expected: str) -> None:
    error = reason(CORPUS / folder)

    message = str(error)
    assert expected in message
    where = "manifest.yaml" if line is None else f"manifest.yaml, line {line}"
    assert message.startswith(f"{folder} ({where}): ")
    assert "\n" not in message
    assert (error.module, error.file, error.line) == (folder, "manifest.yaml", line)


def test_corpus_reasons_are_all_different() -> None:
    reasons = [reason(CORPUS / folder).reason for folder, _, _ in CORPUS_REASONS]
    assert len(set(reasons)) == len(reasons)


@pytest.mark.parametrize(
    "folder",
    [
        "cycle_a",
        "unknown_dependency",
        "depends_on_broken",
        "view_missing_target",
        "invalid_q",
        "malicious_q",
        "q_unknown_field",
        "import_error",
        "syntax_error",
        "data_bad_yaml",
        "unknown_integration_category",
    ],
)
def test_corpus_modules_broken_elsewhere_have_valid_manifests(folder: str) -> None:
    assert load_manifest(CORPUS / folder).identifier == folder


def test_unknown_integration_category_only_checked_when_choices_are_known() -> None:
    folder = CORPUS / "unknown_integration_category"
    manifest = load_manifest(folder)
    assert manifest.integration_category == "Teleportation"

    error = reason(folder, known_integration_categories=DEFAULT_INTEGRATION_CATEGORIES)
    assert str(error) == (
        "unknown_integration_category (manifest.yaml, line 5): integration_category "
        "'Teleportation' is not one of the Integration model's choices "
        "('Online Payment', 'Messaging', 'Shipping')"
    )
    # A dependency may add the choice with _selection_add.
    choices = [*DEFAULT_INTEGRATION_CATEGORIES, "Teleportation"]
    assert load_manifest(folder, known_integration_categories=choices) == manifest
    check_integration_category(manifest, choices)


def test_check_integration_category_without_folder_names_the_identifier() -> None:
    manifest = Manifest(name="X", identifier="x", integration_category="Nope")
    with pytest.raises(ManifestError, match=r"^x \(manifest\.yaml\): .*'Nope'.*'Shipping'\)$"):
        check_integration_category(manifest, DEFAULT_INTEGRATION_CATEGORIES)
    check_integration_category(Manifest(name="Y", identifier="y"), ())  # no category: nothing


# --- individual reasons ----------------------------------------------------------------------


def test_manifest_error_is_a_validation_error(tmp_path: Path) -> None:
    error = reason(tmp_path / "nothing_here")
    assert isinstance(error, ValidationError) and isinstance(error, UserError)
    assert str(error) == "nothing_here (manifest.yaml): file not found"


def test_bad_yaml_reports_the_line(tmp_path: Path) -> None:
    text = "name: Foo\nidentifier: payment_foo\ndependencies: []\ndescription: a: b\n"
    folder = make_module(tmp_path, "payment_foo", text=text)
    assert str(reason(folder)) == (
        "payment_foo (manifest.yaml, line 4): bad YAML: mapping values are not allowed here"
    )


def test_python_tags_are_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    folder = make_module(
        tmp_path,
        "evil",
        text=f"name: !!python/object/apply:os.system ['touch {marker}']\n"
        "identifier: evil\ndependencies: []\n",
    )
    error = reason(folder)
    assert "bad YAML" in str(error) and error.line == 1
    assert not marker.exists()


def test_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "latin"
    folder.mkdir()
    (folder / "manifest.yaml").write_bytes("name: Caf\xe9\n".encode("latin-1"))
    assert "latin (manifest.yaml): not UTF-8 text" in str(reason(folder))


def test_manifest_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "odd" / "manifest.yaml").mkdir(parents=True)
    assert str(reason(tmp_path / "odd")).startswith("odd (manifest.yaml): cannot read the file")


def test_unknown_key_without_close_match_lists_allowed_keys(tmp_path: Path) -> None:
    folder = make_module(tmp_path, "m", extra={"colour": "red"})
    message = str(reason(folder))
    assert "unknown key 'colour'; allowed keys: " + ", ".join(ALLOWED_KEYS) in message
    assert "did you mean" not in message


def test_unknown_key_that_is_not_text(tmp_path: Path) -> None:
    folder = make_module(tmp_path, "m", text="name: M\nidentifier: m\ndependencies: []\n1: x\n")
    assert "unknown key 1; allowed keys" in str(reason(folder))


def test_mistyped_key_is_reported_before_the_missing_one(tmp_path: Path) -> None:
    folder = make_module(tmp_path, "m", text="nmae: M\nidentifier: m\ndependencies: []\n")
    assert "m (manifest.yaml, line 1): unknown key 'nmae' (did you mean 'name'?)" in str(
        reason(folder)
    )


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("name: ''\nidentifier: m\ndependencies: []\n", "'name' must be a non-empty text"),
        ("name: [a]\nidentifier: m\ndependencies: []\n", "'name' must be a non-empty text"),
        ("name: M\nidentifier: m\n", "missing required key 'dependencies'"),
        ("name: M\ndependencies: []\n", "missing required key 'identifier'"),
        ("name: M\nidentifier: m\ndependencies:\n", "write 'dependencies: []' for none"),
        ("name: M\nidentifier: m\ndependencies: [Bad-Name]\n", "entry 'Bad-Name' (a text) is not"),
        ("name: M\nidentifier: m\ndependencies: [1]\n", "entry 1 (a number) is not a module"),
        ("name: M\nidentifier: m\ndependencies: []\nversion: true\n", "'version' must be a text"),
        ("name: M\nidentifier: m\ndependencies: []\nversion: 2024-01-01\n", "got datetime.date"),
        ("name: M\nidentifier: m\ndependencies: []\nicon: 3\n", "'icon' must be a text"),
        ("name: M\nidentifier: m\ndependencies: []\nimplicit: maybe\n", "'implicit' must be true"),
        ("name: M\nidentifier: m\ndependencies: []\nstatic_paths: img\n", "must be a list of"),
        ("name: M\nidentifier: m\ndependencies: []\nstatic_paths: [/etc]\n", "must be a relative"),
        ("name: M\nidentifier: m\ndependencies: []\nstatic_paths: [../x]\n", "must be a relative"),
        ("name: M\nidentifier: m\ndependencies: []\nstatic_paths: [css]\n", "static/css does not"),
        ("name: M\nidentifier: m\ndependencies: []\ncron_sync_method: a b\n", "not a method name"),
        ("name: M\nidentifier: m\ndependencies: []\nimage: /x.svg\n", "(none declared)"),
        (
            "name: M\nidentifier: m\ndependencies: []\ncategory: module_category_integrations\n"
            "integration_category: Shipping\n",
            "'image' is required for category module_category_integrations",
        ),
    ],
)
def test_invalid_values(tmp_path: Path, yaml_text: str, expected: str) -> None:
    folder = make_module(tmp_path, "m", text=yaml_text)
    message = str(reason(folder))
    assert message.startswith("m (manifest.yaml")
    assert expected in message


def test_empty_optional_values_count_as_absent(tmp_path: Path) -> None:
    text = f"{MINIMAL}description:\nicon: ''\nimplicit:\nstatic_paths:\n"
    folder = make_module(tmp_path, "m", text=text)
    manifest = load_manifest(folder)
    assert (manifest.description, manifest.icon, manifest.implicit) == (None, None, False)


def test_identifier_pattern_checked_before_folder_name(tmp_path: Path) -> None:
    text = "name: X\nidentifier: Payment-X\ndependencies: []\n"
    folder = make_module(tmp_path, "Payment-X", text=text)
    assert "must match [a-z][a-z0-9_]*" in str(reason(folder))


# --- static paths ----------------------------------------------------------------------------


def test_resolve_static_path(tmp_path: Path) -> None:
    folder = make_module(tmp_path, "m", integration_category="Shipping")
    (folder / "static" / "css").mkdir()
    (folder / "static" / "css" / "x.css").write_text("")
    manifest = load_manifest(folder)
    img = folder / "static" / "img"

    assert resolve_static_path(folder, manifest, "/static/img/logo.svg") == img / "logo.svg"
    assert resolve_static_path(folder, manifest, "static/img/logo.svg") == img / "logo.svg"
    assert resolve_static_path(folder, manifest, "/static/img/sub/a.png") == img / "sub" / "a.png"
    # Existence is the caller's business; the mapping only says where it would be.
    assert resolve_static_path(folder, manifest, "/static/img/none.svg") == img / "none.svg"
    for outside in [
        "/static/css/x.css",  # exists, but css is not declared
        "/static/img",  # the folder itself is not a file path
        "/static/img/../../manifest.yaml",
        "/manifest.yaml",
        "",
        "/",
    ]:
        assert resolve_static_path(folder, manifest, outside) is None, outside


def test_resolve_static_path_refuses_symlink_escape(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    folder = make_module(tmp_path, "m", integration_category="Shipping")
    (folder / "static" / "img" / "link.svg").symlink_to(secret)
    manifest = load_manifest(folder)
    assert resolve_static_path(folder, manifest, "/static/img/link.svg") is None


def test_image_symlink_outside_static_paths_is_refused(tmp_path: Path) -> None:
    folder = make_module(tmp_path, "m", integration_category="Shipping")
    (folder / "static" / "img" / "logo.svg").unlink()
    (folder / "static" / "img" / "logo.svg").symlink_to(folder / "manifest.yaml")
    assert "is not under one of static_paths" in str(reason(folder))


def test_key_line(tmp_path: Path) -> None:
    text = "# c\nname: M\n'identifier': m\n  nested: 1\ndependencies: []\n"
    folder = make_module(tmp_path, "m", text=text)
    assert key_line(folder, "name") == 2
    assert key_line(folder, "identifier") == 3
    assert key_line(folder, "nested") is None  # not a top-level key
    assert key_line(folder, "dependencies") == 5
    assert key_line(tmp_path / "absent", "name") is None
