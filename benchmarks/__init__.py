"""Benchmarks: one module per command, sharing one generate-then-evaluate engine."""
