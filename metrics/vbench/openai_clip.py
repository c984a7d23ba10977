"""OpenAI's CLIP image encoders as vbench 0.1.5 loads them (``clip.load``), rebuilt with open_clip.

vbench calls OpenAI's ``clip`` package, which builds the model from the checkpoint's tensor shapes,
stores the weights in float16 and, on the CPU, casts them back to float32. open_clip's
``build_model_from_openai_state_dict`` builds the same architecture (QuickGELU) the same way, and
``open_clip.load_openai_model`` reads OpenAI's TorchScript release and state dicts with it. The random tiny
encoders of tests and ``--preset tiny`` are open_clip's ``CLIP`` class with float16-representable
weights, like the public files, so vbench's loader and ours hold identical numbers.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

#: A tiny CLIP of OpenAI's layout (width a multiple of 64: OpenAI's loader infers heads as width // 64).
TINY_WIDTH = 64


def load_openai_clip(path: Path, device: str | torch.device, *, patch: int, width: int, what: str) -> nn.Module:
    """An OpenAI CLIP from a local file (TorchScript release or state dict), built as ``clip.load`` builds it
    (QuickGELU, float16 weights), in eval mode, in the precision ``clip.load`` gives it: float16 weights on a
    GPU, float32 on the CPU (see :func:`as_clip_load_places`). A file whose image encoder is not the one
    vbench uses (``what``, e.g. ViT-B/32, of ``patch``-pixel patches and ``width``) is refused."""
    import open_clip

    model = as_clip_load_places(open_clip.load_openai_model(str(path), precision="fp16", device="cpu"), device)
    kernel, channels = model.visual.conv1.kernel_size[0], model.visual.conv1.out_channels
    if (kernel, channels) != (patch, width):
        raise ValueError(
            f"{path} holds a CLIP with {kernel}-pixel patches and width {channels}; VBench uses OpenAI's {what} "
            f"({patch}-pixel patches, width {width})"
        )
    return model


def as_clip_load_places(model: nn.Module, device: str | torch.device) -> nn.Module:
    """``model`` (float16 weights, as built from OpenAI's files) on ``device`` as OpenAI's ``clip.load`` leaves it:
    cast to float32 on the CPU only, so on a GPU vbench's CLIP dimensions run in float16 and so do ours."""
    model = model.eval().to(device)
    return model.float() if torch.device(device).type == "cpu" else model


def random_openai_clip(seed: int, embed_dim: int, device: str | torch.device) -> nn.Module:
    """open_clip's ``CLIP`` of OpenAI's layout, tiny and seeded (224-pixel input, 32-pixel patches), with
    weights rounded to float16 as OpenAI's files store them. The global random state is left as it was."""
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg, build_model_from_openai_state_dict

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vision = CLIPVisionCfg(layers=2, width=TINY_WIDTH, patch_size=32, image_size=224)
        text = CLIPTextCfg(context_length=16, vocab_size=64, width=TINY_WIDTH, heads=1, layers=1)
        model = CLIP(embed_dim, vision, text, quick_gelu=True)
    state = {name: value.half() for name, value in model.state_dict().items()}
    return as_clip_load_places(build_model_from_openai_state_dict(state), device)


def model_dtype(model: nn.Module) -> torch.dtype:
    """The dtype OpenAI's ``encode_image`` casts its input to: that of the patch convolution."""
    return model.visual.conv1.weight.dtype
