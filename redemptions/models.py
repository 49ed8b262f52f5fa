"""Models of the redemptions app (filled in by its issue)."""
