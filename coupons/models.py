"""Models of the coupons app (filled in by its issue)."""
