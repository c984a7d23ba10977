"""The command layer: one settings module, flags over presets, validation before any model loads."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import ablation, msrvtt
from simda import train
from simda.settings import PAPER, TINY
from tests.command_helpers import job_of

REPO = Path(__file__).resolve().parents[1]

# (command module, argv, what the one-line error must say). Each must exit 2 without importing torch.
INVALID = [
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--guidance-scale", "nan"], "--guidance-scale nan"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--steps", "-5"], "--num-inference-steps -5"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--height", "0"], "--height 0"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--height", "-32"], "--height -32"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--frames", "0"], "--num-frames 0"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--batch-size", "0"], "--batch-size 0"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--output-dir", "v.mp4"], "names a file"),
    ("simda.generate", ["--prompt", "a"], "choose exactly one of --preset tiny or --base"),
    ("benchmarks.msrvtt", ["--preset", "tiny", "--num-videos", "0"], "--num-videos 0"),
    ("benchmarks.msrvtt", ["--preset", "tiny", "--num-videos", "-3"], "--num-videos -3"),
    ("benchmarks.msrvtt", ["--preset", "tiny", "--batch-size", "0"], "--batch-size 0"),
    ("benchmarks.msrvtt", ["--preset", "tiny", "--guidance", "nan"], "--guidance-scale nan"),
    ("benchmarks.msrvtt", ["--preset", "tiny", "--frames", "8"], "at least 9 frames"),
    ("benchmarks.msrvtt", ["--preset", "tiny", "--fvd-interval", "1"], "--fvd-interval 1"),
    ("benchmarks.webvid", ["--base", "sd", "--videos", "."], "--csv is required"),
    ("simda.train", ["--preset", "tiny", "--learning-rate", "nan"], "--learning-rate nan"),
    ("simda.train", ["--preset", "tiny", "--max-train-steps", "0"], "--max-train-steps 0"),
    ("simda.train", ["--base", "sd"], "no training data"),
    ("simda.edit", ["--preset", "tiny", "--edit", "x", "--tune-steps", "0"], "--tune-steps 0"),
    ("simda.edit", ["--base", "sd", "--edit", "x"], "--video"),
    ("benchmarks.ablation", ["--preset", "tiny", "--num-frames", "8"], "at least 9 frames"),
    ("benchmarks.ablation", ["--base", "sd"], "needs training data"),
    ("benchmarks.ablation", ["--preset", "tiny", "--seeds", "2"], "--seeds applies to --preset learn only"),
    ("benchmarks.editing", ["--preset", "tiny", "--guidance", "inf"], "--guidance-scale inf"),
    ("benchmarks.profile", ["--size", "30"], "--size 30"),
    ("metrics.fvd_command", ["--preset", "tiny", "--real", ".", "--fake", ".", "--frames", "4"], "--frames 4"),
    # Upper bounds: each value would fail late or run meaninglessly.
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--steps", "1001"], "at most 1000"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--height", "80000"], "--height 80000"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--guidance-scale", "1e12"], "must be at most 100"),
    ("simda.generate", ["--preset", "tiny", "--prompt", "a", "--fps", "100000"], "--fps 100000"),
    ("simda.train", ["--preset", "tiny", "--frame-stride", "1000"], "--frame-stride 1000"),
    ("simda.edit", ["--preset", "tiny", "--edit", "x", "--steps", "5000"], "--num-inference-steps 5000"),
    # A missing --base is said before the imports, not after them.
    ("simda.generate", ["--base", "gone", "--prompt", "a"], "--base gone: not found"),
    ("simda.train", ["--base", "gone", "--video-folder", "."], "--base gone: not found"),
    ("simda.generate", ["--base", ".", "--prompt", "a"], "--base .: not a Stable Diffusion folder"),
    ("benchmarks.vbench", ["--preset", "tiny", "--dimensions", "fvd"], "--dimensions 'fvd': names no VBench dimension"),
    ("benchmarks.vbench", ["--preset", "tiny", "--dimensions", "motion"], "unknown metric 'motion'"),
    ("benchmarks.vbench", ["--preset", "tiny", "--videos-per-prompt", "0"], "--videos-per-prompt 0: must be positive"),
    ("benchmarks.vbench", ["--preset", "tiny", "--full-info", "gone.json"], "not found; pass VBench_full_info.json"),
    ("benchmarks.vbench", ["--generator", "videos", "--generated-videos", "."], "--full-info is required"),
    ("benchmarks.vbench", ["--preset", "tiny", "--pipeline", "tiny-animatediff"], "--pipeline does not apply"),
]
PROBE = "import sys; from {module} import main; code = main({argv!r}); print(code, 'torch' in sys.modules)"


@pytest.mark.parametrize(("module", "argv", "message"), INVALID, ids=[f"{m}:{' '.join(a)}" for m, a, _ in INVALID])
def test_an_invalid_value_exits_2_naming_the_flag_before_anything_heavy_loads(tmp_path, module, argv, message):
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module, argv=argv)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    code, torch_loaded = probe.stdout.split()
    assert code == "2", probe.stderr
    assert message in probe.stderr and probe.stderr.count("\n") == 1, probe.stderr
    assert torch_loaded == "False", "the value was refused only after torch (and so the models) loaded"
    assert not any(tmp_path.iterdir()), "nothing may be written for a refused command"


def test_an_explicit_value_is_kept_even_where_it_equals_another_presets():
    job = job_of(train, ["--preset", "tiny", "--frame-stride", str(PAPER.clips.frame_stride)])
    assert job.clips.frame_stride == PAPER.clips.frame_stride != TINY.clips.frame_stride
    job = job_of(msrvtt, ["--preset", "tiny", "--num-inference-steps", str(PAPER.generation.num_inference_steps)])
    assert job.generation.num_inference_steps == 50 and job.generation.height == TINY.generation.height
    assert job_of(msrvtt, ["--preset", "tiny"]).generation == TINY.generation
    assert (
        job_of(
            msrvtt, ["--base", "sd", "--annotations", ".", "--videos", ".", "--i3d", ".", "--clip-ckpt", "."]
        ).generation
        == PAPER.generation
    )


def test_help_shows_each_presets_default(capsys):
    assert msrvtt.main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "DDIM denoising steps (default paper: 50, tiny: 10, learn: 10)" in text
    assert "--num-inference-steps NUM_INFERENCE_STEPS, --steps NUM_INFERENCE_STEPS" in text


def test_the_ablation_composes_the_training_and_evaluation_jobs_it_runs(tmp_path):
    job = job_of(ablation, ["--preset", "tiny", "--num-frames", "9", "--disable", "ta", "--output-dir", str(tmp_path)])
    variants = job.variants
    assert [variant.label for variant in variants] == ["w/o TA", "Ours"]
    trains = [job.train_job(variant) for variant in variants]
    assert [t.disable for t in trains] == [("ta",), ()]
    assert trains[0].training == trains[1].training == TINY.training and trains[0].clips.num_frames == 9
    evals = [job.eval_job(variant, tmp_path / variant.slug / "adapters") for variant in variants]
    assert {e.cache_dir for e in evals} == {tmp_path / "real-cache"}, "every variant meets the same real set"
    assert evals[0].generation == evals[1].generation and evals[0].generation.num_frames == 9
    assert evals[0].model.ckpt == tmp_path / "without-ta" / "adapters"


def _imports(package: str) -> set[tuple[str, str]]:
    """(file, imported top-level package) for every import in ``package``."""
    found = set()
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found |= {(str(path.relative_to(REPO)), name.split(".")[0]) for name in names}
    return found


#: The metrics' command lines, which declare their flags as settings fields: they stand on simda's settings
#: and plumbing like every command; the metrics library beside them does not (the next test loads it).
METRICS_COMMAND_LINES = {("metrics/fvd_command.py", "simda"), ("metrics/interval_coverage.py", "simda")}


def test_the_package_graph_points_down_only():
    upward = {
        "simda": {"benchmarks", "reports"},
        "metrics": {"simda", "benchmarks", "reports"},
        "benchmarks": {"reports"},
    }
    for package, forbidden in upward.items():
        wrong = sorted((path, name) for path, name in _imports(package) - METRICS_COMMAND_LINES if name in forbidden)
        assert not wrong, f"{package} must not import {forbidden}: {wrong}"


@pytest.mark.slow  # about 8 s: the library loads torch and open_clip
def test_the_metrics_library_loads_without_simda():
    library = sorted(
        module_path.relative_to(REPO).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
        for module_path in (REPO / "metrics").rglob("*.py")
        if (str(module_path.relative_to(REPO)), "simda") not in METRICS_COMMAND_LINES
    )
    probe = f"import importlib, sys; [importlib.import_module(m) for m in {library!r}]; print('simda' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.stdout.split() == ["False"], loaded.stderr or "a metrics library module loaded simda"


def test_train_accepts_the_flag_names_of_diffusers_training_scripts(tmp_path):
    argv = ["--pretrained_model_name_or_path", str(tmp_path), "--train_data_dir", str(tmp_path)]
    argv += ["--max_train_steps", "7", "--learning_rate", "1e-4", "--train_batch_size", "2", "--output_dir", "out"]
    argv += [
        "--mixed_precision",
        "bf16",
        "--gradient_checkpointing",
        "--checkpointing_steps",
        "5",
        "--num_frames",
        "12",
    ]
    job = job_of(train, argv)
    assert job.model.base == tmp_path and job.data.video_folder == tmp_path and job.output_dir == Path("out")
    assert (job.training.max_steps, job.training.learning_rate, job.training.batch_size) == (7, 1e-4, 2)
    assert job.training.mixed_precision == "bf16" and job.training.gradient_checkpointing
    assert job.training.checkpoint_every == 5 and job.clips.num_frames == 12
