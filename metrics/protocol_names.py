"""The names of the FVD protocols (:mod:`metrics.fvd_protocols`), importable without torch.

Command lines list them in ``--help`` before any heavy import; ``metrics.fvd_protocols`` refuses to
load if its registry and this list ever disagree.
"""

PROTOCOL_NAMES = ("tf", "stylegan-v", "cd-fvd", "videogpt", "common-metrics-videogpt", "common-metrics-styleganv")
#: cd-fvd: the one public FVD tool that installs from the package index, so a test reproduces it exactly.
DEFAULT_PROTOCOL_NAME = "cd-fvd"
