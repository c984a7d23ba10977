"""The paper's published numbers, so every run can be set beside them (SimDA, CVPR 2024, Tables 2 and 3)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PaperRow:
    """One method's row of a results table; ``None`` where the paper prints a dash."""

    method: str
    fvd: float | None
    clipsim: float | None


# Table 2: zero-shot MSR-VTT, 2,990 videos, one randomly chosen caption each.
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
# Table 3: WebVid validation, 4,476 randomly extracted text-video pairs.
WEBVID_TABLE = (
    PaperRow("LVDM", 455.53, 0.2751),
    PaperRow("ModelScope", 414.11, 0.3000),
    PaperRow("VideoFactory", 292.35, 0.3070),
    PaperRow("SimDA", 363.98, 0.3054),
)


def simda_row(table: tuple[PaperRow, ...]) -> PaperRow:
    return next(row for row in table if row.method == "SimDA")


def comparison_table(ours: dict[str, float], table: tuple[PaperRow, ...], random_weights: bool) -> pd.DataFrame:
    """Our FVD and CLIPSIM beside the paper's SimDA row, with a note when ours come from random weights."""
    paper = simda_row(table)
    note = "random weights: proves the machinery, not the model" if random_weights else ""
    return pd.DataFrame(
        [
            {"metric": "fvd", "ours": ours["fvd"], "paper": paper.fvd, "note": note},
            {"metric": "clipsim", "ours": ours["clipsim"], "paper": paper.clipsim, "note": note},
        ]
    )
