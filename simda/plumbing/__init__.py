"""Plumbing that both the model package and the benchmarks stand on: atomic writes, logging, the
torchrun process layout, MLflow tracking and the command-line runner.

Nothing here imports the model or the harness, so ``simda`` never reaches up into ``benchmarks``.
"""
