"""The names of the FVD protocols (:mod:`metrics.fvd_protocols`) and the metrics' small facts, importable without torch.

Command lines list them in ``--help`` before any heavy import; ``metrics.fvd_protocols`` refuses to
load if its registry and this list ever disagree.
"""

#: Smallest clip I3D accepts (FVD): three stride-2 temporal reductions turn 9 frames into the 2
#: positions its final (2, 7, 7) pool needs; 8 frames would leave one and the pool would fail.
MIN_FVD_FRAMES = 9
#: The line every printed table made with random weights carries (the benchmarks, metrics.fvd).
RANDOM_WEIGHTS_BANNER = "RANDOM WEIGHTS: these numbers prove the machinery, not the model"
#: The open_clip model of CLIPSIM: the paper's (and the released code's) OpenAI ViT-B/32.
DEFAULT_CLIP_MODEL = "ViT-B-32"

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
#: cd-fvd: the one public FVD tool that installs from the package index, so a test reproduces it exactly;
#: its weights (``i3d_pretrained_400.pt``) are also the most shared.
DEFAULT_PROTOCOL_NAME = "cd-fvd"

#: Where a window of consecutive frames starts in a longer clip (:mod:`metrics.frame_selection`).
FRAME_STARTS = ("first", "centre", "random")
#: Which frames of a longer real clip a benchmark's FVD sees: consecutive at the generated clips' frame rate,
#: the protocol's own convention (consecutive, stride 1), or the old spread over the whole clip.
REAL_FRAME_SELECTIONS = ("fps-matched", "protocol", "spread")
#: The interval methods of :mod:`metrics.interval` (the default first) and its default jackknife groups:
#: enough for a stable standard error (relative error about 1 / sqrt(2 (G - 1)), 11 % at 40), few enough
#: that 40 eigenvalue problems stay cheap. ``metrics.interval`` reads both from here.
INTERVAL_METHOD_NAMES = ("jackknife", "half-sampling", "bootstrap-sd", "delta")
DEFAULT_REPLICATES = 40
