"""Every shipped provider as one table: its fake, its credentials, its listing and test calls.

Tests that must hold for every provider (bounded paging, hostile answers) loop over
`SCENARIOS` instead of repeating each provider's set-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.fakes import adyen, mollie, paypal, razorpay, square, stripe, twilio, ups
from tests.fakes.harness import FakeServer
from tests.helpers.provider_env import ProviderEnv

STRIPE_KEY = "sk_test_51FfdeskStripeEnv00000000key"
MESSAGES = f"/2010-04-01/Accounts/{twilio.DEFAULT_ACCOUNT_SID}/Messages.json"
ACCOUNT = f"/2010-04-01/Accounts/{twilio.DEFAULT_ACCOUNT_SID}.json"


async def _no_local_data(env: ProviderEnv, fake: Any, count: int) -> None:
    return None


async def _twilio_sent(env: ProviderEnv, fake: Any, count: int) -> None:
    """`count` messages Twilio has, sent by this integration and waiting for a status."""
    Message = env.model("Message")
    for n in range(count):
        remote = fake.add_message(f"+1415555{n:04d}", f"Hello {n}", status="sent")
        await Message.create(
            to=f"+1415555{n:04d}",
            body=f"Hello {n}",
            status="sent",
            remote_id=remote["sid"],
            date_sent=datetime.now() - timedelta(minutes=5),
            integration=env.record.id,
            company=env.system.env.cid,
        )


async def _ups_shipment(env: ProviderEnv, fake: Any, count: int) -> None:
    Shipment = env.model("Shipment")
    for n in range(count):
        number = f"1Z999AA1012345{n:04d}"
        fake.add_package(number)
        await Shipment.create(tracking_number=number, company=env.system.env.cid)


@dataclass
class Scenario:
    """One provider: how to start its fake, enable it, fill its listing, where it is asked."""

    identifier: str
    provider: str
    make_fake: Callable[[], FakeServer]
    credentials: dict[str, Any]
    # (fake, n): n objects in the provider's listing
    seed: Callable[[Any, int], Any] | None
    listing: str | None  # the GET path a sync pages through (None: it has no listing)
    test_call: tuple[str, str]  # (method, path) of Test connection
    sync_call: tuple[str, str] | None  # (method, path) a sync reads first; None: no sync
    page_size: int = 100
    local: Callable[[ProviderEnv, Any, int], Awaitable[None]] = _no_local_data
    extra: dict[str, Any] = field(default_factory=dict)


def _stripe_seed(fake: Any, count: int) -> None:
    for n in range(count):
        fake.add_payment_intent(amount=1000 + n)


def _mollie_seed(fake: Any, count: int) -> None:
    for n in range(count):
        fake.add_payment(value=f"{10 + n}.00")


def _paypal_seed(fake: Any, count: int) -> None:
    start = datetime.now() - timedelta(days=2)
    for n in range(count):
        fake.add_transaction(value=f"{10 + n}.00", initiated=start + timedelta(seconds=n))


def _razorpay_seed(fake: Any, count: int) -> None:
    for n in range(count):
        fake.add_payment(amount=50000 + n)


def _square_seed(fake: Any, count: int) -> None:
    for n in range(count):
        fake.add_payment(amount=1000 + n)


SCENARIOS: list[Scenario] = [
    Scenario(
        "payment_stripe",
        "Stripe",
        lambda: stripe.FakeStripe(secret_key=STRIPE_KEY, seed=1),
        {"secret_key": STRIPE_KEY, "sandbox_mode": True},
        _stripe_seed,
        "/v1/payment_intents",
        ("GET", "/v1/balance"),
        ("GET", "/v1/payment_intents"),
    ),
    Scenario(
        "payment_mollie",
        "Mollie",
        lambda: mollie.FakeMollie(seed=1),
        {"mollie_api_key": mollie.DEFAULT_API_KEY, "sandbox_mode": True},
        _mollie_seed,
        "/v2/payments",
        ("GET", "/v2/methods"),
        ("GET", "/v2/payments"),
        page_size=250,
    ),
    Scenario(
        "payment_paypal",
        "PayPal",
        lambda: paypal.FakePayPal(seed=1),
        {
            "paypal_client_id": paypal.DEFAULT_CLIENT_ID,
            "paypal_client_secret": paypal.DEFAULT_SECRET,
            "sandbox_mode": True,
        },
        _paypal_seed,
        "/v1/reporting/transactions",
        ("POST", "/v1/oauth2/token"),
        ("GET", "/v1/reporting/transactions"),
        page_size=500,
    ),
    Scenario(
        "payment_razorpay",
        "Razorpay",
        lambda: razorpay.FakeRazorpay(seed=1),
        {
            "razorpay_key_id": razorpay.DEFAULT_KEY_ID,
            "razorpay_key_secret": razorpay.DEFAULT_KEY_SECRET,
            "sandbox_mode": True,
        },
        _razorpay_seed,
        "/v1/payments",
        ("GET", "/v1/payments"),
        ("GET", "/v1/payments"),
    ),
    Scenario(
        "payment_square",
        "Square",
        lambda: square.FakeSquare(seed=1),
        {"square_access_token": square.DEFAULT_TOKEN, "sandbox_mode": True},
        _square_seed,
        "/v2/payments",
        ("GET", "/v2/locations"),
        ("GET", "/v2/payments"),
    ),
    Scenario(
        "sms_twilio",
        "Twilio",
        lambda: twilio.FakeTwilio(seed=1),
        {
            "twilio_account_sid": twilio.DEFAULT_ACCOUNT_SID,
            "twilio_auth_token": twilio.DEFAULT_AUTH_TOKEN,
            "twilio_from_number": twilio.MAGIC_FROM,
        },
        None,
        MESSAGES,
        ("GET", ACCOUNT),
        ("GET", MESSAGES),
        local=_twilio_sent,
    ),
    Scenario(
        "shipping_ups",
        "UPS",
        lambda: ups.FakeUps(seed=1),
        {
            "ups_client_id": ups.DEFAULT_CLIENT_ID,
            "ups_client_secret": ups.DEFAULT_SECRET,
            "ups_account_number": ups.DEFAULT_ACCOUNT,
            "sandbox_mode": True,
        },
        None,
        None,
        ("POST", "/security/v1/oauth/token"),
        ("GET", "/api/track/v1/details/"),
        local=_ups_shipment,
    ),
    Scenario(
        "payment_adyen",
        "Adyen",
        lambda: adyen.FakeAdyen(seed=1),
        {
            "adyen_api_key": adyen.DEFAULT_API_KEY,
            "adyen_merchant_account": adyen.DEFAULT_MERCHANT,
            "sandbox_mode": True,
        },
        None,
        None,
        ("POST", "/v71/paymentMethods"),
        None,
    ),
]

PAGED = [s for s in SCENARIOS if s.listing is not None]
SYNCING = [s for s in SCENARIOS if s.sync_call is not None]


def ids(scenarios: list[Scenario]) -> list[str]:
    return [s.identifier for s in scenarios]


async def enabled(env: ProviderEnv, scenario: Scenario) -> None:
    """Enter the scenario's credentials and enable the integration."""
    await env.set(**scenario.credentials)
    assert await env.enable() == "Enabled"
