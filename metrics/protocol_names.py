"""The names of the FVD protocols (:mod:`metrics.fvd_protocols`), importable without torch.

Command lines list them in ``--help`` before any heavy import; ``metrics.fvd_protocols`` refuses to
load if its registry and this list ever disagree.
"""

PROTOCOL_NAMES = (
    "tf",
    "stylegan-v",
    "cd-fvd",
    "cd-fvd-folder",
    "cd-fvd-videomae",
    "videogpt",
    "common-metrics-videogpt",
    "common-metrics-styleganv",
)
#: cd-fvd: the one public FVD tool that installs from the package index, so a test reproduces it exactly.
DEFAULT_PROTOCOL_NAME = "cd-fvd"

#: Where a window of consecutive frames starts in a longer clip (:mod:`metrics.frame_selection`).
FRAME_STARTS = ("first", "centre", "random")
#: Which frames of a longer real clip a benchmark's FVD sees: consecutive at the generated clips' frame rate,
#: the protocol's own convention (consecutive, stride 1), or the old spread over the whole clip.
REAL_FRAME_SELECTIONS = ("fps-matched", "protocol", "spread")
