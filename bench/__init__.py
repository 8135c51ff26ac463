"""Benchmarks: ``make bench`` (``python -m bench``). Each compares against a baseline."""
