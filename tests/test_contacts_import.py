"""`ffdesk contacts import FILE.csv` / `contacts list` and the import service behind them."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ffdesk
from ffdesk import cli
from ffdesk.engine.errors import UserError
from ffdesk.services.contacts import import_csv
from tests.helpers.stripe_env import db_url, isolated_logging


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FFDESK_DATABASE_URL", db_url(tmp_path))
    monkeypatch.setenv("FFDESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with isolated_logging():
        yield tmp_path


def ffdesk_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "contacts.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


async def _contacts(url: str) -> list[Any]:
    async with ffdesk.open_env(url) as system:
        Contact = system.get_model("Contact")
        return await Contact.all().order_by("id").all()


def contacts(tmp_path: Path) -> list[Any]:
    return asyncio.run(_contacts(db_url(tmp_path)))


GOOD_AND_BAD = (
    "name,email,phone\n"
    "Ada Lovelace,ada@example.org,+44 20 7946 0001\n"
    "Broken Row,not-an-email,\n"
    "Charles Babbage,charles@example.org,\n"
)


def test_cli_import_skips_the_bad_row_with_its_line_and_imports_the_rest(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ffdesk_cli(capsys, "modules", "install", "contacts")[0] == 0
    path = write(env, GOOD_AND_BAD)
    code, out, err = ffdesk_cli(capsys, "contacts", "import", str(path))
    assert code == 0
    assert err == f"{path}: line 3: 'not-an-email' is not an email address; row skipped.\n"
    assert out.strip() == "Imported 2 new and 0 updated contacts (1 rows skipped)."
    stored = contacts(env)
    assert [(c.name, c.email, c.phone) for c in stored] == [
        ("Ada Lovelace", "ada@example.org", "+44 20 7946 0001"),
        ("Charles Babbage", "charles@example.org", None),
    ]
    assert all(c.company_id == 1 and c.write_date is not None for c in stored)

    code, out, _ = ffdesk_cli(capsys, "contacts", "list")
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split() == ["ID", "NAME", "EMAIL", "PHONE"]
    assert [r.split()[1] for r in rows] == ["Ada", "Charles"]

    code, out, _ = ffdesk_cli(capsys, "contacts", "list", "--json")
    assert json.loads(out)["contacts"] == [
        {"id": stored[0].id, "name": "Ada Lovelace", "email": "ada@example.org",
         "phone": "+44 20 7946 0001"},
        {"id": stored[1].id, "name": "Charles Babbage", "email": "charles@example.org",
         "phone": None},
    ]  # fmt: skip


def test_cli_import_json_reports_counts_and_errors(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ffdesk_cli(capsys, "modules", "install", "contacts")
    path = write(env, GOOD_AND_BAD)
    code, out, err = ffdesk_cli(capsys, "contacts", "import", str(path), "--json")
    assert code == 0
    assert json.loads(out) == {
        "created": 2,
        "updated": 0,
        "errors": ["line 3: 'not-an-email' is not an email address"],
    }
    assert err == ""  # with --json the skipped rows are in the one document, not on stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("email,phone\nx@example.org,\n", "the first line must name the columns"),
        ("", "the first line must name the columns"),
    ],
)
def test_cli_import_refuses_a_file_without_a_name_column(
    env: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    ffdesk_cli(capsys, "modules", "install", "contacts")
    code, out, err = ffdesk_cli(capsys, "contacts", "import", str(write(env, content)))
    assert code == 1 and message in err and out == ""
    assert contacts(env) == []


def test_cli_import_refuses_unreadable_files(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ffdesk_cli(capsys, "modules", "install", "contacts")
    code, _, err = ffdesk_cli(capsys, "contacts", "import", str(env / "missing.csv"))
    assert code == 1 and err.startswith(f"Cannot read {env / 'missing.csv'}")
    latin = write(env, "name,email\nJosé,jose@example.org\n", encoding="latin-1")
    code, _, err = ffdesk_cli(capsys, "contacts", "import", str(latin))
    assert code == 1 and err.strip() == f"{latin} is not a UTF-8 text file."


def test_cli_contacts_need_the_contacts_module(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = ffdesk_cli(capsys, "contacts", "list")
    assert code == 1
    assert err.strip() == "Install the contacts module first (ffdesk modules install contacts)."


# -- the service ---------------------------------------------------------------------------------


def run_import(tmp_path: Path, *texts: str) -> list[Any]:
    """Import each text in turn into one database; returns the reports."""

    async def main() -> list[Any]:
        async with ffdesk.open_env(db_url(tmp_path)) as system:
            if not system.is_installed("contacts"):
                await system.install_module("contacts")
            reports = []
            for i, text in enumerate(texts):
                reports.append(await import_csv(system, write(tmp_path, text, f"in{i}.csv")))
            return reports

    return asyncio.run(main())


def test_every_kind_of_bad_row_is_reported_with_its_line(tmp_path: Path) -> None:
    text = (
        "\ufeff Name , EMAIL ,Phone\n"  # BOM, spaces and case in the header
        "Good One,one@example.org,+1 (415) 555-0100\n"
        ",nobody@example.org,\n"  # line 3: no name
        "Bad Phone,phone@example.org,call me\n"  # line 4
        "Short Phone,short@example.org,12345\n"  # line 5: fewer than 6 digits
        "\n"  # line 6: blank, ignored
        '"Multi\nLine Name",multi@example.org,\n'  # lines 7-8: a quoted newline is fine
        '"Bad\nEmail",oops@,\n'  # lines 9-10: reported at the line it starts on
        "Only Name\n"  # line 11: missing columns are empty
        "Extra,extra@example.org,+44 20 7946 0002,ignored,columns\n"  # line 12
    )
    [report] = run_import(tmp_path, text)
    assert report.errors == [
        "line 3: the name is empty",
        "line 4: 'call me' is not a phone number",
        "line 5: '12345' is not a phone number",
        "line 9: 'oops@' is not an email address",
    ]
    assert (report.created, report.updated) == (4, 0)
    names = [c.name for c in contacts(tmp_path)]
    assert names == ["Good One", "Multi\nLine Name", "Only Name", "Extra"]


def test_a_malformed_row_is_one_bad_row_not_a_failed_import(tmp_path: Path) -> None:
    huge = "x" * 200_000  # over the csv module's field size limit
    text = f'name,email\nFirst,first@example.org\nHuge,"{huge}"\nLast,last@example.org\n'
    [report] = run_import(tmp_path, text)
    assert report.created == 2
    assert len(report.errors) == 1 and report.errors[0].startswith("line 3: field larger")
    assert [c.name for c in contacts(tmp_path)] == ["First", "Last"]


def test_reimport_updates_by_email_and_leaves_unchanged_rows_alone(tmp_path: Path) -> None:
    first = "name,email,phone\nAda,ada@example.org,+44 20 7946 0001\nBob,bob@example.org,\n"
    second = (
        "name,email,phone\n"
        "Ada,ada@example.org,+44 20 7946 0001\n"  # same: untouched
        "Robert,bob@example.org,\n"  # renamed: updated
        "New,new@example.org,\n"
        "No Email,,\n"
        "No Email,,\n"  # without an email there is nothing to match on: two contacts
    )
    before = None

    async def main() -> None:
        nonlocal before
        async with ffdesk.open_env(db_url(tmp_path)) as system:
            await system.install_module("contacts")
            r1 = await import_csv(system, write(tmp_path, first, "a.csv"))
            assert (r1.created, r1.updated) == (2, 0)
            Contact = system.get_model("Contact")
            before = {c.email: c.write_date for c in await Contact.all().all()}
            r2 = await import_csv(system, write(tmp_path, second, "b.csv"))
            assert (r2.created, r2.updated, r2.unchanged, r2.errors) == (3, 1, 1, [])
            after = {c.email: c for c in await Contact.all().all()}
            # An unchanged row keeps its write date, so the next sync does not resend it.
            assert after["ada@example.org"].write_date == before["ada@example.org"]
            assert after["bob@example.org"].name == "Robert"
            assert after["bob@example.org"].write_date > before["bob@example.org"]
            assert await Contact.count() == 5

    asyncio.run(main())


def test_import_goes_to_the_active_company(tmp_path: Path) -> None:
    async def main() -> None:
        async with ffdesk.open_env(db_url(tmp_path)) as system:
            await system.install_module("contacts")
            other = await system.add_company("Other Ltd")
            await system.select_company("Other Ltd")
            path = write(tmp_path, "name,email\nAda,ada@example.org\n")
            await import_csv(system, path)
            await system.select_company(None)
            report = await import_csv(system, path)
            assert report.created == 1  # same email, other company: a separate contact
            Contact = system.get_model("Contact")
            assert sorted(c.company_id for c in await Contact.all().all()) == sorted(
                [other.id, system.env.cid]
            )

    asyncio.run(main())


def test_import_without_the_contacts_module_is_refused(tmp_path: Path) -> None:
    async def main() -> None:
        async with ffdesk.open_env(db_url(tmp_path)) as system:
            with pytest.raises(UserError, match="Install the contacts module first"):
                await import_csv(system, write(tmp_path, "name\nAda\n"))

    asyncio.run(main())


def test_an_email_in_another_case_updates_the_same_contact(tmp_path: Path) -> None:
    async def main() -> None:
        async with ffdesk.open_env(db_url(tmp_path)) as system:
            await system.install_module("contacts")
            text = "name,email,phone\nAnn,Ann@X.org,\nAnn B,ann@x.org,\n"
            report = await import_csv(system, write(tmp_path, text))
            assert (report.created, report.updated, report.errors) == (1, 1, [])
            [ann] = await system.get_model("Contact").all().all()
            assert (ann.name, ann.email) == ("Ann B", "Ann@X.org")
            again = await import_csv(
                system, write(tmp_path, "name,email\nAnn B,ANN@x.ORG\n", "b.csv")
            )
            assert (again.created, again.unchanged) == (0, 1)

    asyncio.run(main())
