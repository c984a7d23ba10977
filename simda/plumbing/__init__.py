"""What the model package and the benchmarks both stand on: atomic writes, logging, the torchrun process layout,
MLflow tracking and the command runner. It imports neither, so ``simda`` never reaches up into ``benchmarks``."""
