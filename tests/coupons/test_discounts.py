"""The discount maths of each coupon type, at its edges, and as properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coupons.discounts import (
    AMOUNT,
    PERCENT,
    TOTAL_AMOUNT,
    USAGE,
    cents_to_units,
    discount,
    percent_of,
    units_to_cents,
)

prices = st.integers(min_value=0, max_value=10_000_000)
amounts = st.integers(min_value=0, max_value=20_000_000)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False,
                       allow_infinity=False)


@pytest.mark.parametrize("price", [0, 1, 4900])
def test_usage_discounts_the_whole_price(price):
    result = discount(USAGE, price)
    assert (result.discount_cents, result.final_price_cents) == (price, 0)


@pytest.mark.parametrize(("amount", "price", "off"), [
    (0, 4900, 0),          # nothing off
    (4900, 4900, 4900),    # exactly the price
    (10_000, 4900, 4900),  # more than the price: never below zero
    (1000, 4900, 1000),
    (1000, 0, 0),          # free item
])
def test_amount_takes_up_to_its_value_off_each_seat(amount, price, off):
    result = discount(AMOUNT, price, amount_cents=amount)
    assert result.discount_cents == off
    assert result.final_price_cents == price - off


@pytest.mark.parametrize(("percent", "price", "off"), [
    ("0", 4900, 0),
    ("100", 4900, 4900),
    ("50", 4900, 2450),
    ("50", 1, 1),        # 0.5 cent rounds half-up to 1
    ("12.5", 1, 0),      # 0.125 cent rounds to 0
    ("12.5", 4, 1),      # 0.5 cent rounds up
    ("33.33", 999, 333),  # 332.9667 → 333
    ("15", 3333, 500),   # 499.95 → 500
    ("25", 0, 0),
])
def test_percent_rounds_half_up_to_the_cent(percent, price, off):
    result = discount(PERCENT, price, percent=Decimal(percent))
    assert result.discount_cents == off
    assert result.final_price_cents == price - off


@pytest.mark.parametrize(("balance", "price", "off"), [
    (0, 4900, 0),           # balance spent
    (4900, 4900, 4900),     # exactly the price
    (10_000, 4900, 4900),   # more than enough
    (1200, 4900, 1200),     # what is left
])
def test_total_amount_draws_down_the_balance(balance, price, off):
    assert discount(TOTAL_AMOUNT, price, balance_cents=balance).discount_cents == off


def test_a_negative_price_or_missing_value_is_a_programming_error():
    with pytest.raises(ValueError):
        discount(USAGE, -1)
    with pytest.raises(ValueError):
        discount(AMOUNT, 100)
    with pytest.raises(ValueError):
        discount(PERCENT, 100)
    with pytest.raises(ValueError):
        discount("FREE", 100)


@pytest.mark.parametrize(("text", "cents"), [("10", 1000), ("10.5", 1050), ("10.005", 1001),
                                             ("10.004", 1000), ("0", 0), (" 2.345 ", 235)])
def test_currency_units_convert_to_cents_half_up(text, cents):
    assert units_to_cents(text) == cents


@pytest.mark.parametrize("text", ["ten", "", "NaN", "Infinity"])
def test_a_non_amount_is_refused(text):
    with pytest.raises(ValueError):
        units_to_cents(text)


def test_cents_render_as_units_with_two_decimals():
    assert cents_to_units(1050) == "10.50"
    assert cents_to_units(None) is None


@given(price=prices, amount=amounts, percent=percents, kind=st.sampled_from(
    [USAGE, AMOUNT, PERCENT, TOTAL_AMOUNT]))
def test_a_discount_is_never_negative_nor_above_the_price(price, amount, percent, kind):
    result = discount(kind, price, amount_cents=amount, percent=percent, balance_cents=amount)
    assert 0 <= result.discount_cents <= price
    assert 0 <= result.final_price_cents <= price


@given(price=prices, percent=percents)
def test_percent_is_the_exact_share_rounded_half_up(price, percent):
    exact = Decimal(price) * percent / 100
    off = percent_of(price, percent)
    assert abs(Decimal(off) - exact) <= Decimal("0.5")
    # half-up: an exact half cent always goes up
    if exact - int(exact) == Decimal("0.5"):
        assert off == int(exact) + 1


@given(cents=st.integers(min_value=0, max_value=10**12))
def test_cents_survive_a_round_trip_through_currency_units(cents):
    assert units_to_cents(cents_to_units(cents)) == cents


@given(price=prices, low=percents, high=percents)
def test_a_larger_percent_never_takes_less_off(price, low, high):
    low, high = sorted((low, high))
    assert percent_of(price, low) <= percent_of(price, high)
