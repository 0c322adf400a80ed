"""Benchmark harness: Baithak against the shared Node reference (bench/README.md)."""
