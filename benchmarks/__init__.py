"""Reproducible performance measurements: ``python -m benchmarks.NAME``.

Each benchmark runs the thing we ship and a plain PyTorch baseline side by side, interleaved
in one process, and prints the ratio (medians of several repeats), so the number does not
depend on how fast or how busy the machine is. Timings are never asserted in tests.
"""
