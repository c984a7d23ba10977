from __future__ import annotations

import copy
import json

import torch

from simda.editor import ddim_invert
from simda.model.video_unet import SimDAUNet
from simda.pipeline import GenerationSettings, SimDAPipeline
from tests.simda.test_video_unet import perturb_adapters


def test_ddim_inversion_then_generation_reconstructs_the_latents(tiny_base):
    model = SimDAUNet(copy.deepcopy(tiny_base.unet)).eval()
    perturb_adapters(model, seed=2)
    # A random network's noise prediction is no data distribution's score, and DDIM amplifies its
    # errors by 1/sqrt(alpha_bar) near pure noise; damping the output gives the well-conditioned ODE a
    # trained model has, so what remains measures our inversion/generation pairing of timesteps.
    with torch.no_grad():
        model.unet.conv_out.weight.mul_(0.1)
        model.unet.conv_out.bias.mul_(0.1)
    pipeline = SimDAPipeline.from_base(tiny_base, model)
    latents = torch.randn(1, 4, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    text = pipeline.encode_prompts(["a red square moving right"])
    settings = GenerationSettings(num_frames=4, height=32, width=32, num_inference_steps=50, guidance_scale=1.0)
    inverted = ddim_invert(pipeline, latents, text, settings.num_inference_steps)
    assert (inverted - latents).abs().mean() > 0.3, "inversion should move far from the clean latents"
    rebuilt = pipeline.denoise(inverted, text, None, settings)
    error = (rebuilt - latents).abs().mean() / latents.abs().mean()
    assert error < 0.05, f"relative reconstruction error {error:.3f}"


def test_edit_command_writes_the_edit_and_its_summary(tmp_path, no_network):
    import decord

    from simda import edit

    args = ["--preset", "tiny", "--edit", "a green square", "--output-dir", str(tmp_path), "--tune-steps", "2"]
    code = edit.main([*args, "--num-inference-steps", "2", "--num-frames", "4", "--height", "32", "--width", "32"])
    assert code == 0
    summary = json.loads((tmp_path / "result.json").read_text())
    video = decord.VideoReader(summary["edits"]["a green square"])
    assert len(video) == 4 and video[0].shape == (32, 32, 3)
    assert summary["tuned_parameters"] > 0 and (tmp_path / "summary.json").is_file()
    assert (tmp_path / "source.gif").is_file()


def test_an_edit_of_a_video_that_does_not_decode_exits_2_before_torch_loads(tmp_path):
    import subprocess
    import sys

    (tmp_path / "car.mp4").write_bytes(b"\x00\x00\x00 not an mp4")
    probe = "import sys; from simda.edit import main; print(main(sys.argv[1:]), 'torch' in sys.modules)"
    argv = ["--preset", "tiny", "--video", "car.mp4", "--prompt", "a car", "--edit", "a jeep"]
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["2", "False"], done.stderr
    assert "--video car.mp4: cannot be decoded" in done.stderr
