"""The parts of ``python -m benchmarks.profile``: what is measured (models, workloads) and how
the results are shown (tables, plot, MLflow)."""
