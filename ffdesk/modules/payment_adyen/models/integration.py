"""Adyen fields, credential checks and connection test (Checkout API /paymentMethods).

Adyen reports payments to the merchant through webhooks (notifications it POSTs to a public
URL); its Checkout API offers nothing to list them, so this integration has no sync.
"""

import re

from ffdesk.engine.base import *
from ffdesk.sync import (
    ConnectionResult,
    CredentialsRejected,
    ProviderClient,
    ProviderError,
    ProviderRequestError,
    SyncCapability,
    UnexpectedAnswer,
    answer_object,
    api_base,
    credential_problem,
    credential_rules,
    rate_limit_for,
    unexpected,
)

IDENTIFIER = "payment_adyen"
PROVIDER = "Adyen"
TEST_BASE = "https://checkout-test.adyen.com"
LIVE_BASE = "https://{prefix}-checkout-live.adyenpayments.com/checkout"
API_VERSION = "v71"
CREDENTIAL_LABEL = "API key"
# Requests per second. Adyen's Checkout API docs give no request rate for these calls (the
# connection test and payment methods): stay modest; 429s lower it at once.
RATE_LIMIT = 10.0
NO_SYNC = (
    "Adyen reports payments through webhooks; there is nothing to pull, "
    "so Sync now is not available."
)
# The live endpoint prefix is "[random]-[company account name]", e.g. 1797a841fbb37ca7-AdyenDemo.
_PREFIX = re.compile(r"[A-Za-z0-9]+-[A-Za-z0-9_-]+")
_PREFIX_IN_URL = re.compile(r"(?:https?://)?([A-Za-z0-9_-]+?)-checkout-live\.adyenpayments\.com")
_API_URLS = "Customer Area > Developers > API URLs"


class AdyenIntegration(Model):
    """Adyen's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    adyen_api_key = Char(
        max_length=512,
        description="API Key",
        hint=(
            "The API key of your API credential (Customer Area > Developers > API credentials); "
            "it usually starts with AQE. The test and live Customer Areas have separate keys."
        ),
        company_scoped=True,
    )
    adyen_merchant_account = Char(
        max_length=100,
        description="Merchant Account",
        hint=(
            "The code of the merchant account that takes the payments, e.g. YourCompanyECOM "
            "(Customer Area > Settings > Merchant accounts)."
        ),
        company_scoped=True,
        secret=False,
    )
    adyen_live_url_prefix = Char(
        max_length=100,
        description="Live URL Prefix",
        hint=(
            "Live only: the prefix of your live Checkout endpoint, e.g. "
            f"1797a841fbb37ca7-AdyenDemo ({_API_URLS}). Not used in Sandbox Mode."
        ),
        company_scoped=True,
        secret=False,
    )
    sandbox_mode = Boolean(
        description="Sandbox Mode",
        hint="On: test keys and test data. Off: live keys and real payments.",
        default=True,
    )

    async def _is_adyen(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _adyen_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        key = (self.adyen_api_key or "").strip()
        if not key:
            problems["adyen_api_key"] = "Please enter your Adyen API Key before enabling."
        elif key.startswith(("test_", "live_")):
            problems["adyen_api_key"] = (
                "That is an Adyen client key (it starts with test_ or live_), which only works in "
                "the shopper's browser: enter the API key of the same API credential instead "
                "(Customer Area > Developers > API credentials; it usually starts with AQE)."
            )
        elif any(c.isspace() for c in key):
            problems["adyen_api_key"] = (
                "The Adyen API Key contains spaces or line breaks: copy it again in one piece."
            )
        merchant = (self.adyen_merchant_account or "").strip()
        if not merchant:
            problems["adyen_merchant_account"] = (
                "Please enter your Adyen Merchant Account before enabling."
            )
        elif any(c.isspace() for c in merchant):
            problems["adyen_merchant_account"] = (
                "The Adyen Merchant Account is a code without spaces, e.g. YourCompanyECOM "
                "(Customer Area > Settings > Merchant accounts)."
            )
        if self.sandbox_mode:
            return problems
        prefix = (self.adyen_live_url_prefix or "").strip()
        found = _PREFIX_IN_URL.search(prefix)
        if not prefix:
            problems["adyen_live_url_prefix"] = (
                "Live payments need the Adyen Live URL Prefix (e.g. 1797a841fbb37ca7-AdyenDemo, "
                f"from {_API_URLS} in the live Customer Area); or turn Sandbox Mode on to use "
                "Adyen's test platform."
            )
        elif found and found.group(1) != prefix:
            problems["adyen_live_url_prefix"] = (
                f"Enter only the Live URL Prefix ({found.group(1)}), not the whole address."
            )
        elif not _PREFIX.fullmatch(prefix):
            problems["adyen_live_url_prefix"] = (
                "The Adyen Live URL Prefix looks like 1797a841fbb37ca7-AdyenDemo: a random code, "
                f"a hyphen and your company account name ({_API_URLS})."
            )
        return problems

    def _adyen_base_url(self):
        """The Checkout API root: the test host in Sandbox Mode, else the live prefix host."""
        if self.sandbox_mode:
            default = TEST_BASE
        else:
            default = LIVE_BASE.format(prefix=(self.adyen_live_url_prefix or "").strip())
        return api_base(IDENTIFIER, default)

    def _adyen_client(self):
        key = (self.adyen_api_key or "").strip()
        return ProviderClient(
            provider=PROVIDER,
            base_url=self._adyen_base_url(),
            headers={"X-API-Key": key, "Accept": "application/json"},
            secrets=[key],
            rate_limit=rate_limit_for(IDENTIFIER, RATE_LIMIT),
            credential_label=CREDENTIAL_LABEL,
        )

    async def check_connection(self):
        if not await self._is_adyen():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        merchant = self.adyen_merchant_account.strip()
        live = not self.sandbox_mode
        platform = "live" if live else "test platform"
        try:
            async with self._adyen_client() as api:
                response = await api.post(
                    f"/{API_VERSION}/paymentMethods", json={"merchantAccount": merchant}
                )
                answer = answer_object(response, PROVIDER)
        except CredentialsRejected as exc:
            return ConnectionResult("rejected", _rejected_message(exc, merchant, live))
        except ProviderRequestError as exc:
            detail = exc.detail or str(exc)
            return ConnectionResult(
                "rejected",
                f"Adyen refused the request for merchant account {merchant!r}: {_clause(detail)}. "
                "Check the Merchant Account.",
            )
        except ProviderError as exc:
            message = str(exc)
            if live and exc.status is None and not isinstance(exc, UnexpectedAnswer):
                message += (
                    f" Check the Live URL Prefix ({_API_URLS}): a wrong prefix names a host that "
                    "does not exist."
                )
            return ConnectionResult("unreachable", message)
        found = answer.get("paymentMethods", [])
        if not isinstance(found, list):
            return ConnectionResult(
                "unreachable",
                str(unexpected(PROVIDER, "an object with `paymentMethods`", "methods not a list")),
            )
        methods = [
            str(m.get("name") or m.get("type"))
            for m in found
            if isinstance(m, dict) and (m.get("name") or m.get("type"))
        ]
        if not methods:
            listing = "no payment methods are enabled for it yet."
        else:
            shown = ", ".join(methods[:5]) + (", …" if len(methods) > 5 else "")
            listing = f"{len(methods)} payment method{'s' if len(methods) != 1 else ''} ({shown})."
        return ConnectionResult(
            "ok", f"Connected to Adyen ({platform}) for merchant account {merchant}: {listing}"
        )

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_adyen():
            return await super().sync_capability()
        return SyncCapability(False, NO_SYNC)

    async def sync_integration(self, run):
        if not await self._is_adyen():
            return await super().sync_integration(run)
        raise UserError(NO_SYNC)


def _clause(text):
    return text[:-1] if text.endswith(".") else text


def _rejected_message(exc, merchant, live):
    detail = exc.detail or ""
    if exc.status == 403:
        if "merchant" in detail.lower():
            return (
                f"Adyen refused merchant account {merchant!r} for this API key ({detail}). "
                "Check the Merchant Account code, and that the API credential has access to it "
                "(Customer Area > Developers > API credentials > Account)."
            )
        reason = f" ({detail})" if detail else ""
        return (
            f"Adyen refused the request{reason}: the API credential lacks a role it needs. Give "
            "it the Checkout webservice role (Customer Area > Developers > API credentials)."
        )
    reason = f" ({detail})" if detail else ""
    if live:
        hint = (
            "Sandbox Mode is off: a key from the test Customer Area does not work live. Use the "
            "live credential's key, or turn Sandbox Mode on."
        )
    else:
        hint = (
            "Sandbox Mode is on: a live key does not work on Adyen's test platform. Use the test "
            "credential's key, or turn Sandbox Mode off."
        )
    return f"Adyen refused the API key{reason}. Check the API key. {hint}"
