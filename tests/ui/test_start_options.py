"""The window's own options are read without argparse; everything else goes to Qt."""

from __future__ import annotations

from ffdesk.app import parse_args


def test_database_and_company_in_both_spellings_and_the_rest_left_for_qt() -> None:
    options, rest = parse_args(
        ["--database", "sqlite:///a.db", "-style", "fusion", "--company=Acme Ltd", "-reverse"]
    )
    assert options.database == "sqlite:///a.db"
    assert options.company == "Acme Ltd"
    assert rest == ["-style", "fusion", "-reverse"]
    options, rest = parse_args(["--database=postgresql://u@h/db=x"])
    assert options.database == "postgresql://u@h/db=x" and options.company is None
    assert rest == []
    assert parse_args([])[0].database is None
