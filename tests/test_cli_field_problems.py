"""`integrations enable` on the command line names every field that stops it, as the window
does (one hook: the form's required fields and the module's `check_credentials`)."""

from __future__ import annotations

from typing import Any

from tests.helpers.env import cli_fixture  # noqa: F401  (the `cli` fixture)
from tests.test_cli import ff, ok  # noqa: F401  (the fixture)


def test_enable_names_every_field_that_stops_it(ff: Any) -> None:  # noqa: F811
    ok(ff("modules", "install", "shipping_ups"))
    ok(ff("integrations", "set", "shipping_ups", "ups_account_number=-", stdin="12-34\n"))
    done = ff("integrations", "enable", "shipping_ups")
    assert done.code == 1 and done.out == ""
    assert done.err.startswith("UPS cannot be enabled yet; 3 fields need attention.")
    assert "Client ID: Please enter your UPS Client ID before enabling." in done.err
    assert "Client Secret: Please enter your UPS Client Secret before enabling." in done.err
    assert "Account Number: The UPS account number is the 6-character shipper number" in done.err


def test_a_format_problem_is_found_before_anything_is_sent(ff: Any) -> None:  # noqa: F811
    ok(ff("modules", "install", "payment_stripe"))
    ok(ff("integrations", "set", "payment_stripe", "secret_key=-", stdin="pk_test_oops\n"))
    done = ff("integrations", "test", "payment_stripe", "--json")
    assert done.code == 1
    assert done.json()["outcome"] == "rejected"
    assert done.json()["message"].startswith("The Stripe Secret Key must start with sk_test_")
