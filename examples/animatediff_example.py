"""diffusers' AnimateDiff example, run with SimDA.

The example of diffusers' AnimateDiff documentation (and of the guoyww/animatediff-motion-adapter
model cards), with SimDA's classes in place of AnimateDiff's (``MotionAdapter`` -> ``SimDAAdapters``,
``AnimateDiffPipeline`` -> ``SimDAPipeline``) and the model ids read from the environment: SimDA
adapters saved by ``simda.train`` or ``save_pretrained``, and a Stable Diffusion 1.5 base. Both may be
local folders or Hub ids in the local Hugging Face cache (nothing is downloaded):

    SIMDA_ADAPTERS=runs/simda-train/simda-adapters SIMDA_BASE=stable-diffusion-v1-5/stable-diffusion-v1-5 \\
        python examples/animatediff_example.py

It writes animation.gif as the documentation does, and animation.mp4 with SimDA's ``export_to_video``.
"""

import os

import torch
from diffusers import DDIMScheduler
from diffusers.utils import export_to_gif

from simda import SimDAAdapters, SimDAPipeline, export_to_video

# Load the motion adapter
adapter = SimDAAdapters.from_pretrained(os.environ.get("SIMDA_ADAPTERS", "runs/simda-train/simda-adapters"))
# load SD 1.5 based finetuned model
model_id = os.environ.get("SIMDA_BASE", "stable-diffusion-v1-5/stable-diffusion-v1-5")
pipe = SimDAPipeline.from_pretrained(model_id, motion_adapter=adapter)
scheduler = DDIMScheduler.from_pretrained(
    model_id, subfolder="scheduler", clip_sample=False, timestep_spacing="linspace", steps_offset=1
)
pipe.scheduler = scheduler

# enable memory savings
pipe.enable_vae_slicing()
pipe.enable_model_cpu_offload()

output = pipe(
    prompt=(
        "masterpiece, bestquality, highlydetailed, ultradetailed, sunset, "
        "orange sky, warm lighting, fishing boats, ocean waves seagulls, "
        "rippling water, wharf, silhouette, serene atmosphere, dusk, evening glow, "
        "golden hour, coastal landscape, seaside scenery"
    ),
    negative_prompt="bad quality, worse quality",
    num_frames=16,
    guidance_scale=7.5,
    num_inference_steps=25,
    generator=torch.Generator("cpu").manual_seed(42),
)
frames = output.frames[0]
export_to_gif(frames, "animation.gif")
export_to_video(frames, "animation.mp4", fps=8)
