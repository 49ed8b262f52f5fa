"""Discount maths: pure functions on integer cents, no database, no clock.

EduBrite's coupon types (API.md, EduBrite's manual):

- USAGE: full value: the whole price is discounted, nothing is charged.
- AMOUNT: up to `amount_cents` off each seat; the price never goes below zero.
- PERCENT: `percent` of the price off, rounded half-up to the cent; the rest is charged.
- TOTAL_AMOUNT: a balance drawn down across uses: up to `balance_cents` (what is left of the
  coupon's total) off this seat.

Money is integer cents in and out; percentages and EduBrite's currency amounts are `Decimal`
(never float), converted with ROUND_HALF_UP.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

USAGE, AMOUNT, PERCENT, TOTAL_AMOUNT = "USAGE", "AMOUNT", "PERCENT", "TOTAL_AMOUNT"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Discount:
    price_cents: int
    discount_cents: int

    @property
    def final_price_cents(self) -> int:
        return self.price_cents - self.discount_cents


def discount(coupon_type: str, price_cents: int, *, amount_cents: int | None = None,
             percent: Decimal | None = None, balance_cents: int | None = None) -> Discount:
    """The discount one seat at `price_cents` gets; never negative, never above the price."""
    if price_cents < 0:
        raise ValueError("price_cents must not be negative")
    if coupon_type == USAGE:
        off = price_cents
    elif coupon_type == AMOUNT:
        off = min(_non_negative(amount_cents, "amount_cents"), price_cents)
    elif coupon_type == PERCENT:
        off = min(percent_of(price_cents, percent), price_cents)
    elif coupon_type == TOTAL_AMOUNT:
        off = min(_non_negative(balance_cents, "balance_cents"), price_cents)
    else:
        raise ValueError(f"unknown coupon type {coupon_type!r}")
    return Discount(price_cents=price_cents, discount_cents=off)


def percent_of(price_cents: int, percent: Decimal | None) -> int:
    """`percent` % of `price_cents`, rounded half-up to the cent (12.5% of 1 cent is 0)."""
    if percent is None or percent < 0:
        raise ValueError("percent must be given and not negative")
    exact = Decimal(price_cents) * Decimal(percent) / HUNDRED
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def units_to_cents(value: object) -> int:
    """A currency amount as EduBrite sends it ("10", "10.5", "10.005") in cents, half-up."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    try:
        return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation:  # too many digits to be money
        raise ValueError(f"not an amount: {value!r}") from None


def cents_to_units(cents: int | None) -> str | None:
    """Cents as a currency amount with two decimals ("10.50"), for EduBrite's `valueAmount`."""
    if cents is None:
        return None
    return str((Decimal(cents) / 100).quantize(CENT))


def _non_negative(value: int | None, name: str) -> int:
    if value is None or value < 0:
        raise ValueError(f"{name} must be given and not negative")
    return value
