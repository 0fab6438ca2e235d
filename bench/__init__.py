"""Benchmark scripts: run each from the checkout root as a module, `python -m bench.NAME` (bench/README.md)."""
