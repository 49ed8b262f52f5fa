"""Field rules of coupons, written once: the services, the admin form and every dialect call
them, so no entry point can answer differently."""

from __future__ import annotations

from core.codes import normalize_code
from coupons.errors import CouponInvalid

MAX_CODE_LENGTH = 100  # the columns' width


def clean_coupon_code(text: object) -> tuple[str, str]:
    """A coupon code chosen by hand as `(code, display_code)`: canonical (`normalize_code`:
    any case, dashes and spaces ignored) and as written, or a 400."""
    written = str(text).strip()
    code = normalize_code(written)
    if not code:
        raise CouponInvalid(message="A coupon code needs at least one letter or digit.",
                            field="code")
    if len(written) > MAX_CODE_LENGTH:
        raise CouponInvalid(message=f"A coupon code has at most {MAX_CODE_LENGTH} characters.",
                            field="code")
    return code, written
