"""Benchmarks of mtl-nlp: speed ratios, notebook times, playground latency, memory and quality.

Run everything with ``python -m benchmarks`` (writes benchmarks/RESULTS.md and results.csv) or a
reduced check with ``python -m benchmarks --quick``. Speed targets live here only, never in tests.
"""
