"""Benchmarks against their floors and ceilings (`make bench`; see bench/run.py)."""
