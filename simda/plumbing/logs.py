"""Console logging for every command: this project's messages at INFO, other libraries' at WARNING.

A plain ``basicConfig(level=INFO)`` would also print every informational line of open_clip,
diffusers and friends, burying the few lines a user needs (where results went, which weights ran).
Every line starts with its time, so a log file of a long run says when each step happened.
"""

from __future__ import annotations

import logging

PROJECT_LOGGERS = ("simda", "benchmarks", "metrics", "reports")


def setup_logging(verbose: bool = True) -> None:
    """Time and message; ``verbose=False`` (ranks other than 0) keeps warnings alone."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
