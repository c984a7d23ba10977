"""Every number the paper publishes that a run of ours is set beside (SimDA, CVPR 2024).

One data module, each value with the table it comes from, so a report or a command never carries
its own copy. Plain Python values: importing this costs nothing (``--help`` reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metrics.protocol_names import RANDOM_WEIGHTS_BANNER

#: Table 2's protocol: every MSR-VTT test video (2,990), one randomly chosen caption each.
MSRVTT_TEST_VIDEOS = 2990
#: Table 3's protocol: 4,476 randomly extracted WebVid validation text-video pairs.
WEBVID_VAL_PAIRS = 4476


#: The note every number made with random weights carries, in tables, MLflow and reports.
RANDOM_WEIGHTS_NOTE = RANDOM_WEIGHTS_BANNER.lower()


@dataclass(frozen=True)
class PaperRow:
    """One method's row of a results table; ``None`` where the paper prints a dash."""

    method: str
    fvd: float | None
    clipsim: float | None


# Table 2: zero-shot MSR-VTT.
MSRVTT_TABLE = (
    PaperRow("GODIVA", None, 0.2402),
    PaperRow("NUWA", None, 0.2439),
    PaperRow("Make-A-Video", None, 0.3049),
    PaperRow("VideoFactory", None, 0.3005),
    PaperRow("LVDM", 742, 0.2381),
    PaperRow("MMVG", None, 0.2644),
    PaperRow("CogVideo", 1294, 0.2631),
    PaperRow("ED-T2V", None, 0.2763),
    PaperRow("MagicVideo", 998, None),
    PaperRow("Video-LDM", None, 0.2929),
    PaperRow("VideoComposer", 580, 0.2932),
    PaperRow("Latent-Shift", None, 0.2773),
    PaperRow("VideoFusion", 581, 0.2795),
    PaperRow("SimDA", 456, 0.2945),
)
# Table 3: WebVid validation.
WEBVID_TABLE = (
    PaperRow("LVDM", 455.53, 0.2751),
    PaperRow("ModelScope", 414.11, 0.3000),
    PaperRow("VideoFactory", 292.35, 0.3070),
    PaperRow("SimDA", 363.98, 0.3054),
)

# Table 1: parameters (billions) of SimDA's components, and the method comparison (one A100 80GB;
# "T2V core" is the UNet with its video layers, "video_s" the time for one video).
TABLE1_SIMDA_PARAMS_B = {"text_encoder": 0.12, "autoencoder": 0.08, "t2v_core": 0.88, "adapters": 0.025, "total": 1.08}
TABLE1_METHODS: tuple[dict[str, Any], ...] = (
    {"method": "SimDA", "overall_B": 1.08, "tuned_B": 0.025, "video_s": 11.20},
    {"method": "Latent-Shift", "overall_B": 1.53, "tuned_B": 0.88, "video_s": 23.40},
    {"method": "LVDM", "overall_B": 1.16, "tuned_B": 1.04, "video_s": 21.23},
)

# Table 5: one-shot editing, Tune-A-Video against SimDA (frame consistency and textual alignment are
# CLIP scores x100; minutes and GiB on one A100; tuned parameters in millions), its columns in its order.
TABLE5_COLUMNS = (
    "frame_consistency",
    "textual_alignment",
    "train_min",
    "inference_min",
    "train_gib",
    "inference_gib",
    "tuned_M",
)
TABLE5: tuple[dict[str, Any], ...] = tuple(
    dict(zip(("method", *TABLE5_COLUMNS), row, strict=True))
    for row in (
        ("Tune-A-Video", 94.1, 31.8, 9.3, 0.8, 31.3, 11.4, 74.4),
        ("SimDA", 94.9, 31.9, 2.5, 0.4, 28.6, 8.8, 24.9),
    )
)


@dataclass(frozen=True)
class AblationRow:
    """A row of Table 6: which parts the variant removes, and its FVD and CLIPSIM on 1K WebVid pairs."""

    label: str
    disabled: tuple[str, ...]
    fvd: float
    clipsim: float

    @property
    def slug(self) -> str:
        return "full" if not self.disabled else "without-" + "-".join(self.disabled)


# Table 6, in the paper's order.
TABLE6 = (
    AblationRow("w/o TA", ("ta",), 1470.1, 0.2629),
    AblationRow("w/o SA", ("sa",), 811.3, 0.2822),
    AblationRow("w/o AA", ("aa",), 764.8, 0.2851),
    AblationRow("w/o FA", ("fa",), 623.7, 0.2962),
    AblationRow("w/o LSA", ("lsa",), 618.2, 0.3011),
    AblationRow("Ours", (), 530.2, 0.3034),
)


def simda_row(table: tuple[PaperRow, ...] | None) -> PaperRow | None:
    """The paper's SimDA row of ``table``; ``None`` for a benchmark the paper has no table or no SimDA row for."""
    return next((row for row in table or () if row.method == "SimDA"), None)


def comparison_table(ours: dict[str, float], table: tuple[PaperRow, ...] | None, random_weights: bool) -> Any:
    """Our FVD and CLIPSIM (a pandas DataFrame) beside the paper's SimDA row (empty where the paper has
    none), noting random weights."""
    import pandas as pd

    paper = simda_row(table)
    metrics = ("fvd", "clipsim")
    return pd.DataFrame(
        {
            "metric": metrics,
            "ours": [ours[metric] for metric in metrics],
            "paper": [None if paper is None else getattr(paper, metric) for metric in metrics],
            "note": RANDOM_WEIGHTS_NOTE if random_weights else "",
        }
    )
