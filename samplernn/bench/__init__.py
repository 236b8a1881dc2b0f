"""Benchmarks: speed and memory of prepare, train and generate, beside a reference."""
