"""The profile's job and result: light types that the command and the runner both import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simda.plumbing.errors import MissingInput
from simda.plumbing.identity import identity_of, settings_of
from simda.settings import PAPER, ProfileModelSettings, ProfileOutputSettings

EXPERIMENT = "simda-profile"


@dataclass(frozen=True)
class ProfileJob:
    """What to profile; the shapes typed on the command line lie over the chosen model size's defaults."""

    model: ProfileModelSettings = field(default_factory=ProfileModelSettings)
    shape_overrides: dict[str, Any] = field(default_factory=dict)
    output: ProfileOutputSettings = field(default_factory=ProfileOutputSettings)

    def __post_init__(self) -> None:
        PAPER.profile.overlay(self.shape_overrides)  # refuses an invalid --size, --repeats, ... now
        if self.model.base is not None and not self.model.base.is_dir():
            raise MissingInput(f"--base {self.model.base}: not found; pass a local Stable Diffusion folder")

    def identity(self) -> str:
        """What the profile measures: the model, device and shapes, not where it writes or logs."""
        return identity_of(settings_of(self, ("output_dir", "tracking_uri", "mlflow")))


@dataclass
class ProfileResult:
    """What one profile produced, returned so callers (and tests) need not parse the printout."""

    text: str
    tables: dict[str, Any]  # name -> pandas.DataFrame
    metrics: dict[str, float]
    plot_path: Path | None
    output_dir: Path

    def summary(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        tables = {name: table.to_dict("records") for name, table in self.tables.items()}
        return {"metrics": self.metrics, "tables": tables}
