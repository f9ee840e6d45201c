"""ISO 4217 currencies and exact conversion between minor units and amounts (Decimal)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = [
    "CURRENCY_EXPONENTS",
    "MONEY_SCALE",
    "exponent",
    "from_minor",
    "is_currency",
    "to_minor",
]

# Digits after the decimal point that every Monetary column keeps. ISO 4217 goes up to 4
# (CLF, UYW); provider prices (Twilio's per-segment price) use up to 6.
MONEY_SCALE = 6

# ISO 4217 active codes (list one, 2024) and their minor-unit exponents. Codes not here are
# not currencies, whatever a provider sends ("STR", "XXX", "123").
_BY_EXPONENT: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
    2: (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
        "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN "
        "ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES "
        "KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK "
        "MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR "
        "SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD "
        "TWD TZS UAH USD USN UYU UZS VED VES WST XCD YER ZAR ZMW ZWL"
    ),
}
CURRENCY_EXPONENTS: dict[str, int] = {
    code: digits for digits, codes in _BY_EXPONENT.items() for code in codes.split()
}


def is_currency(code: object) -> bool:
    """True for an ISO 4217 code in capitals ("EUR"); anything else is not a currency."""
    return isinstance(code, str) and code in CURRENCY_EXPONENTS


def exponent(currency: str) -> int:
    """How many digits the currency's minor unit has (JPY 0, USD 2, KWD 3); KeyError if unknown."""
    return CURRENCY_EXPONENTS[currency.upper()]


def from_minor(minor: int, currency: str, digits: int | None = None) -> Decimal:
    """The exact amount of `minor` smallest units of `currency` (1999 USD -> Decimal("19.99")).

    `digits` overrides the ISO exponent for a provider that counts otherwise (Stripe counts
    MGA in whole ariary).
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"minor units are a whole number, got {type(minor).__name__}")
    return Decimal(minor).scaleb(-(exponent(currency) if digits is None else digits))


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """The whole number of smallest units of `amount` (Decimal("19.99") USD -> 1999).

    ValueError when the amount has more digits than the currency's minor unit.
    """
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError):
        raise ValueError(f"{amount!r} is not an amount") from None
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency.upper()} allows")
    return int(scaled)
