"""Models of the licensing app (filled in by its issue)."""
